import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * A number ordered as text puts "9" after "12": the point-in-time balance once answered an account's
 * 9th entry for its 12th, because `account_version::text` named an output column `account_version`
 * and `ORDER BY account_version` (an unqualified name) sorts by the output column before the table's.
 * This check reads every SQL text of the product and of its tools (each query of a TypeScript file, with
 * the constants it interpolates; each .sql file whole) and refuses an unqualified ORDER BY name that
 * the same query also produces as text (`x::text`, or `... ::text AS x`): such a name must be
 * qualified (`e.account_version`), which always means the table's column.
 */

const ROOT = path.resolve(__dirname, '../..');
const SCANNED = ['src', 'tools'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return /\.(ts|sql)$/.test(name) ? [file] : [];
  });
}

/**
 * The SQL texts of a file: a .sql file whole; in TypeScript each template literal, with the text of
 * the file's constants it interpolates (`${RUN_COLUMNS}`) put in their place.
 */
export function queriesOf(file: string, text: string): string[] {
  if (file.endsWith('.sql')) return [text];
  const constants = new Map<string, string>();
  for (const match of text.matchAll(/const\s+(\w+)\s*=\s*(?:`([^`]*)`|'([^']*)')/g))
    constants.set(match[1]!, match[2] ?? match[3]!);
  return [...text.matchAll(/`([^`]*)`/g)].map((match) =>
    match[1]!.replace(/\$\{(\w+)\}/g, (whole, name: string) => constants.get(name) ?? whole),
  );
}

/** The names a query produces as text columns. */
export function textColumnNames(sql: string): Set<string> {
  const names = new Set<string>();
  for (const match of sql.matchAll(/::text\s+AS\s+"?(\w+)"?/gi)) names.add(match[1]!.toLowerCase());
  // `e.account_version::text` without AS is an output column named account_version
  for (const match of sql.matchAll(/(?:\w+\.)?(\w+)::text\b(?!\s*\[)(?!\s+AS\b)/gi)) names.add(match[1]!.toLowerCase());
  return names;
}

/** The unqualified names of every ORDER BY list in the file. */
export function orderByNames(sql: string): string[] {
  const names: string[] = [];
  for (const match of sql.matchAll(/ORDER\s+BY\s+([\s\S]*?)(?=\bLIMIT\b|\bOFFSET\b|\bFOR\b|\bROWS\b|\)|;|`|'|$)/gi)) {
    for (const term of match[1]!.split(',')) {
      const name = /^\s*"?(\w+)"?(?:\s+(?:ASC|DESC))?(?:\s+NULLS\s+(?:FIRST|LAST))?\s*$/i.exec(term)?.[1];
      if (name !== undefined && !/^\d+$/.test(name)) names.push(name.toLowerCase());
    }
  }
  return names;
}

it('finds the fault it guards against in a sample', () => {
  const sample =
    'SELECT id::text AS entry_id, account_version::text FROM journal_entries ORDER BY account_version DESC LIMIT 1';
  const textNames = textColumnNames(sample);
  expect(orderByNames(sample).filter((name) => textNames.has(name))).toEqual(['account_version']);
  const qualified = sample.replace('ORDER BY account_version', 'ORDER BY journal_entries.account_version');
  expect(orderByNames(qualified).filter((name) => textNames.has(name))).toEqual([]);
  const interpolated = queriesOf(
    'store.ts',
    "const COLUMNS = 'id::text, kind';\nsql(`SELECT ${COLUMNS} FROM runs ORDER BY id DESC`)",
  );
  expect(interpolated.some((query) => orderByNames(query).some((name) => textColumnNames(query).has(name)))).toBe(true);
});

it('no SQL of the product or its tools orders by a name it also produces as text', () => {
  const faults: string[] = [];
  for (const file of SCANNED.flatMap((dir) => sourceFiles(path.join(ROOT, dir)))) {
    for (const query of queriesOf(file, readFileSync(file, 'utf8'))) {
      const textNames = textColumnNames(query);
      for (const name of orderByNames(query)) {
        if (textNames.has(name))
          faults.push(`${path.relative(ROOT, file)}: ORDER BY ${name} (also a text column there: qualify it)`);
      }
    }
  }
  expect(faults).toEqual([]);
});
