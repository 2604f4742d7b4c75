import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The documentation stays honest: every relative link of the README, of docs/ and of the other
 * pages a reader reaches from them leads to a file of the repository, and every `#anchor` to a
 * heading of its page (GitHub's anchors: the heading in lower case, punctuation dropped, spaces as
 * hyphens, a repeated heading numbered). Links inside code are not links.
 */
const ROOT = path.resolve(__dirname, '../..');
const PAGES = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
  'deploy/README.md',
  'deploy/ha/README.md',
  'packages/client/README.md',
];

/** The text outside fenced code blocks and inline code spans, line by line. */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '');
  });
}

/** GitHub's anchor of a heading's text. */
function headingAnchor(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link: its text
    .replace(/`/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = headingAnchor(heading[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

interface Link {
  page: string;
  line: number;
  target: string;
}

function relativeLinks(page: string): Link[] {
  const links: Link[] = [];
  proseLines(readFileSync(path.join(ROOT, page), 'utf8')).forEach((text, index) => {
    const targets = [
      ...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g),
      ...text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g),
    ].map((match) => match[1]!);
    for (const target of targets) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...
      links.push({ page, line: index + 1, target });
    }
  });
  return links;
}

/** Why a link leads nowhere, or null. */
function brokenBecause(link: Link): string | null {
  const [file, anchor] = link.target.split('#', 2) as [string, string | undefined];
  const resolved =
    file === ''
      ? path.join(ROOT, link.page)
      : path.resolve(path.dirname(path.join(ROOT, link.page)), decodeURIComponent(file));
  if (!resolved.startsWith(`${ROOT}${path.sep}`)) return 'leads out of the repository';
  if (!existsSync(resolved)) return `no file ${path.relative(ROOT, resolved)}`;
  if (anchor === undefined) return null;
  if (statSync(resolved).isDirectory() || !resolved.endsWith('.md'))
    return `an anchor into ${path.relative(ROOT, resolved)}, which is not a page`;
  return anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)
    ? null
    : `no heading #${anchor} in ${path.relative(ROOT, resolved)}`;
}

it('computes anchors as GitHub does', () => {
  expect(headingAnchor("Sessions and the console's defences")).toBe('sessions-and-the-consoles-defences');
  expect(headingAnchor('In development: `npm start`')).toBe('in-development-npm-start');
  expect(headingAnchor('Ports: what to expose and what not to')).toBe('ports-what-to-expose-and-what-not-to');
  expect([...anchorsOf('# A\n## B\n```\n# not a heading\n```\n## B\n')]).toEqual(['a', 'b', 'b-1']);
});

it.each(PAGES)('every relative link of %s leads to a file, and every anchor to a heading', (page) => {
  const broken = relativeLinks(page).flatMap((link) => {
    const reason = brokenBecause(link);
    return reason === null ? [] : [`${link.page}:${link.line} (${link.target}): ${reason}`];
  });
  expect(broken).toEqual([]);
});

it('finds the links it checks (a sanity check of the parser)', () => {
  const links = PAGES.flatMap(relativeLinks);
  expect(links.length).toBeGreaterThan(20);
  expect(links.some((link) => link.target.includes('#'))).toBe(true);
});
