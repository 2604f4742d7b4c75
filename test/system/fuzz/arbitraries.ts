import fc from 'fast-check';
import { parse } from 'lossless-json';
import { CONTROL_CHARACTERS } from '../../../src/shared/validation';

/**
 * Generators of request bodies as raw JSON text (so that numbers keep any spelling, keys may repeat
 * and strings may hold escapes a JSON library would never write), plus the damage done to them.
 *
 * Values that need the running service (a live wallet token, an open trade, an unused login) are
 * written as `@@name@@` references and resolved just before the request is sent (resolveRefs).
 */

/** Strings that break parsers, validators, databases, logs and CSV writers. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udc00',
  'x\udbffy',
  '\udc00\ud800',
  '\u202eRTL override',
  '\u200f\u200e',
  '\u200b',
  '\ufeff',
  '\u2028\u2029',
  '\u0007bell',
  '\u001b[31mred',
  '\t',
  '\r\n',
  '\u007f',
  '\u0085',
  '💸🧨👨‍👩‍👧‍👦',
  'e\u0301',
  '\uffff',
  '\ufffe',
  '\u{10ffff}',
  'ＵＳＤ',
  '１２３',
  '٣٤٥',
  'NaN',
  'Infinity',
  '-Infinity',
  'null',
  'true',
  'undefined',
  '1e400',
  '1E-400',
  '-0',
  '+1',
  '0x10',
  '0b1',
  '1_000',
  '1,5',
  '.5',
  '5.',
  ' 1',
  '1 ',
  '00',
  '9223372036854775808',
  '-9223372036854775809',
  '99999999999999999999999999999999999999',
  "'; DROP TABLE accounts; --",
  "Robert'); DELETE FROM journal_entries WHERE ('1'='1",
  '" OR ""="',
  '\\',
  '\\u0000',
  '"',
  '%s%n%x',
  '${process.exit()}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '=HYPERLINK("http://x")',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'USD',
  'usd',
  'XYZ',
  'EUR',
  'JPY',
  'BTC',
  'x'.repeat(64),
  'y'.repeat(65),
  'i'.repeat(128),
  'j'.repeat(129),
  'k'.repeat(500),
  'l'.repeat(501),
];

/** Every character as a \uXXXX escape: the same string, spelled differently. */
export function escapeAll(value: string): string {
  let text = '"';
  for (let index = 0; index < value.length; index += 1)
    text += `\\u${value.charCodeAt(index).toString(16).padStart(4, '0')}`;
  return `${text}"`;
}

const oddUnits = fc.constantFrom(
  '\u0000',
  '\ud800',
  '\udfff',
  '\u202e',
  '\u200b',
  '💸',
  'a',
  'Z',
  '1',
  '.',
  '-',
  'e',
  '"',
  '\\',
  '\n',
  '\u2028',
  '\u0085',
  'é',
  ' ',
);

/** Any string: nasty constants, any code point (lone surrogates included), graphemes, odd mixes, long runs. */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }) },
  { weight: 2, arbitrary: fc.string({ unit: oddUnits, maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 100, max: 2000 }), fc.constantFrom('x', '9', 'é', '💸', '\u0000'))
      .map(([n, c]) => c.repeat(n)),
  },
);

/** A string as JSON text: usually JSON.stringify (which escapes lone surrogates), sometimes all escapes. */
export const stringText: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: anyString.map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: anyString.map(escapeAll) },
);

/**
 * Text a service should store as it is: well-formed, no control characters, but with quotes, SQL
 * metacharacters, RTL marks, emoji, combining characters and whitespace.
 */
export const goodText: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "'; DROP TABLE accounts; --",
        '" OR ""="',
        '\\',
        '%s%n',
        '<b>x</b>',
        '=SUM(A1)',
        '\u202eRTL',
        '💸 emoji',
        'e\u0301',
        'ＵＳＤ',
        ' padded ',
        'a\tb',
      ),
    },
  )
  .filter((value) => !CONTROL_CHARACTERS.test(value))
  .map((value) => JSON.stringify(value));

/** Number spellings: exponents, negative zero, huge and tiny, long digit strings, doubles. */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '0',
      '-0',
      '-0.0',
      '0.0',
      '0e0',
      '-0e-0',
      '0E+5',
      '1e400',
      '1E-400',
      '-1e400',
      '1e+2',
      '1E2',
      '1.5e1',
      '25e-1',
      '9007199254740993',
      '9223372036854775807',
      '9223372036854775808',
      '-9223372036854775808',
      '-9223372036854775809',
      '18446744073709551616',
      '1e18',
      '1e17',
      '999999999999999999',
      '1000000000000000000',
      '99999999999999999.99',
      '0.001',
      '0.01',
      '0.1',
      '1.0000000000',
      '100000000000000000',
      '1e-2',
      '12.345',
      '-1',
      '-0.01',
      '1',
      '2',
      '100',
      '1e40',
      '1e41',
      '1e-40',
      '1e-41',
      '4.9e-324',
      '1.7976931348623157e308',
      '123456789012345678901234567890',
    ),
  },
  { weight: 2, arbitrary: fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String) },
  { weight: 2, arbitrary: fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String) },
  {
    weight: 1,
    arbitrary: fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .map((value) => (Object.is(value, -0) ? '-0' : JSON.stringify(value))),
  },
  { weight: 2, arbitrary: fc.stringMatching(/^-?(0|[1-9]\d{0,300})(\.\d{1,60})?([eE][+-]?\d{1,4})?$/) },
);

/** Tokens that look like JSON values but are not (the body becomes invalid JSON). */
export const invalidValueText = fc.constantFrom(
  'NaN',
  'Infinity',
  '-Infinity',
  'undefined',
  '01',
  '-01',
  '.5',
  '5.',
  '+1',
  '0x10',
  "'single'",
  'True',
  'nul',
  '1e',
  '1e+',
  '--1',
  '"unterminated',
  '"raw\ttab"',
  '"raw\nnewline"',
  '"bad \\x escape"',
  '"bad \\u12 escape"',
  '[1,]',
  '{"a":1,}',
  '{,}',
  '',
  '//c',
  '/*c*/1',
);

const scalarText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: stringText },
  { weight: 4, arbitrary: numberText },
  { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null') },
);

/** Any JSON value as text: scalars above, nested arrays and objects (keys may repeat), fc.jsonValue. */
export const jsonValueText: fc.Arbitrary<string> = fc.letrec<{ value: string; array: string; object: string }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 6, arbitrary: scalarText },
      { weight: 1, arbitrary: tie('array') },
      { weight: 1, arbitrary: tie('object') },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
    ),
    array: fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    object: fc
      .array(fc.tuple(keyText(), tie('value')), { maxLength: 4 })
      .map((entries) => `{${entries.map(([key, value]) => `${key}:${value}`).join(',')}}`),
  }),
).value;

/** A field value: any JSON value, sometimes not JSON at all. */
export const wrongValueText: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: jsonValueText },
  { weight: 1, arbitrary: invalidValueText },
);

/** Object keys as JSON text, including prototype names and odd unicode. */
export function keyText(known: readonly string[] = []): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(
          'extra',
          '__proto__',
          'constructor',
          'prototype',
          'toString',
          'hash',
          'data',
          '',
          'a\u0000',
          '\ud800',
          ' token',
          'AMOUNT',
          'amount ',
          'login\u200b',
          ...known,
        )
        .map((key) => JSON.stringify(key)),
    },
    { weight: 1, arbitrary: anyString.map((key) => JSON.stringify(key)) },
  );
}

/** One field of a body: its name, the JSON text of good values, and whether it may be left out. */
export interface FieldSpec {
  name: string;
  good: fc.Arbitrary<string>;
  optional?: boolean;
}

interface BodyShape {
  entries: Array<[string, string]>;
  separator: string;
}

/**
 * A JSON object text built from field specs. Most often every field is good (optional ones present
 * or not), so that the request reaches the rules past validation; otherwise each field is good,
 * wrong (any value, wrong type, invalid JSON) or missing, with sometimes unknown extra fields, a
 * repeated key (same or other value), rotated field order and odd whitespace.
 */
export function objectText(
  fields: readonly FieldSpec[],
  options: { goodWeight?: number; allGoodWeight?: number } = {},
): fc.Arbitrary<string> {
  const goodWeight = options.goodWeight ?? 10;
  const name = (field: FieldSpec) => JSON.stringify(field.name);
  const allGood = fc
    .tuple(
      ...fields.map((field) =>
        (field.optional ? fc.option(field.good, { freq: 2 }) : field.good).map((text) =>
          text === null ? null : ([name(field), text] as [string, string]),
        ),
      ),
    )
    .map((entries) =>
      render({ entries: entries.filter((entry) => entry !== null) as Array<[string, string]>, separator: '' }),
    );
  const fieldArbs = fields.map((field) =>
    fc.oneof(
      { weight: goodWeight, arbitrary: field.good.map((text) => [name(field), text] as [string, string] | null) },
      { weight: 3, arbitrary: wrongValueText.map((text) => [name(field), text] as [string, string] | null) },
      { weight: field.optional ? 4 : 1, arbitrary: fc.constant(null) },
    ),
  );
  const names = fields.map((field) => field.name);
  const extras = fc.oneof(
    { weight: 4, arbitrary: fc.constant([] as Array<[string, string]>) },
    { weight: 1, arbitrary: fc.array(fc.tuple(keyText(names), wrongValueText), { minLength: 1, maxLength: 2 }) },
  );
  const duplicate = fc.option(fc.record({ index: fc.nat(), same: fc.boolean(), value: wrongValueText }), { freq: 8 });
  const layout = fc.record({
    rotate: fc.nat(),
    separator: fc.oneof(
      { weight: 8, arbitrary: fc.constant('') },
      { weight: 1, arbitrary: fc.constantFrom(' ', '\n', '\t', '\r\n  ', '\u00a0') },
    ),
  });
  const mutated = fc
    .tuple(fc.tuple(...fieldArbs), extras, duplicate, layout)
    .map(([chosen, extra, dup, { rotate, separator }]) => {
      const entries = [...(chosen.filter((entry) => entry !== null) as Array<[string, string]>), ...extra];
      if (dup && entries.length > 0) {
        const [key, value] = entries[dup.index % entries.length]!;
        entries.push([key, dup.same ? value : dup.value]);
      }
      const shift = entries.length === 0 ? 0 : rotate % entries.length;
      return render({ entries: [...entries.slice(shift), ...entries.slice(0, shift)], separator });
    });
  return fc.oneof({ weight: options.allGoodWeight ?? 2, arbitrary: allGood }, { weight: 1, arbitrary: mutated });
}

function render({ entries, separator: s }: BodyShape): string {
  return `${s}{${s}${entries.map(([key, value]) => `${key}${s}:${s}${value}`).join(`${s},${s}`)}${s}}${s}`;
}

/** Bytes that are not UTF-8: a lone continuation, overlong forms, an encoded surrogate, truncated sequences. */
const INVALID_UTF8: number[][] = [
  [0xff],
  [0x80],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xc3],
];

/**
 * Whole-body damage around a generator of (mostly valid) object texts: truncation, trailing garbage,
 * invalid UTF-8, a BOM, wrapping in an array, or something else entirely (random JSON, random bytes).
 */
export function damagedBody(text: fc.Arbitrary<string>, damageWeight = 1): fc.Arbitrary<string | Buffer> {
  return fc.oneof(
    { weight: 40, arbitrary: text },
    {
      weight: damageWeight,
      arbitrary: fc.tuple(text, fc.nat()).map(([body, cut]) => body.slice(0, cut % (body.length + 1))),
    },
    {
      weight: damageWeight,
      arbitrary: fc
        .tuple(text, fc.constantFrom('}', ']', ',', ' x', '{}', '\u0000', 'null', '\n{"a":1}'))
        .map(([body, tail]) => body + tail),
    },
    {
      weight: damageWeight,
      arbitrary: fc.tuple(text, fc.nat(), fc.constantFrom(...INVALID_UTF8)).map(([body, at, bytes]) => {
        const raw = Buffer.from(body);
        const cut = at % (raw.length + 1);
        return Buffer.concat([raw.subarray(0, cut), Buffer.from(bytes), raw.subarray(cut)]);
      }),
    },
    { weight: damageWeight, arbitrary: text.map((body) => `\ufeff${body}`) },
    { weight: damageWeight, arbitrary: text.map((body) => `[${body}]`) },
    { weight: damageWeight, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: damageWeight, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)) },
    { weight: damageWeight, arbitrary: fc.object({ maxDepth: 2 }).map((value) => JSON.stringify(value) ?? '{}') },
    { weight: damageWeight, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
  );
}

/** Amounts as JSON text: decimal strings and numbers that a service should accept (in most currencies). */
export function goodAmount(maxCents = 100_000, minCents = 1): fc.Arbitrary<string> {
  // now and then an amount near the limits of one operation (10^17 and 10^18 - 1 minor units), so
  // that buckets get large and their arithmetic is exercised too
  const large = fc.constantFrom(
    '"9999999999999999.99"',
    '"1000000000000000"',
    '1e15',
    '"123456789012345.67"',
    '999999999999999999e-2',
    '"999999999999999"',
  );
  return fc.oneof({ weight: 30, arbitrary: smallAmount(maxCents, minCents) }, { weight: 1, arbitrary: large });
}

function smallAmount(maxCents: number, minCents: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min: minCents, max: maxCents }), fc.constantFrom('string', 'number', 'padded', 'exponent'))
    .map(([cents, form]) => {
      const plain = (cents / 100).toFixed(2);
      switch (form) {
        case 'string':
          return JSON.stringify(plain);
        case 'number':
          return plain;
        case 'padded':
          return JSON.stringify(`${plain}000`);
        default:
          return `${cents}e-2`;
      }
    });
}

/** A JSON integer text from the given choices, or a generated one. */
export function intText(min: number, max: number): fc.Arbitrary<string> {
  return fc.integer({ min, max }).map(String);
}

/** `arb` with probability `share`, null otherwise. */
export function sometimes<T>(arb: fc.Arbitrary<T>, share: number): fc.Arbitrary<T | null> {
  const weight = Math.round(share * 100);
  return fc.oneof({ weight: 100 - weight, arbitrary: fc.constant(null) }, { weight, arbitrary: arb });
}

/** A reference resolved at send time: `@@name@@` (see resolveRefs). */
export function ref(name: string): string {
  return `@@${name}@@`;
}

const REF = /@@([A-Za-z0-9:._-]+)@@/g;

/**
 * Replaces every `@@name@@` of a body with the JSON text `resolve(name)` gives; each name is resolved
 * once per body. Works on bytes too (latin1 round trip keeps every other byte as it is).
 */
export async function resolveRefs<T extends string | Buffer>(
  body: T,
  resolve: (name: string) => Promise<string>,
): Promise<T> {
  const text = Buffer.isBuffer(body) ? body.toString('latin1') : (body as string);
  const names = [...new Set([...text.matchAll(REF)].map((match) => match[1]!))];
  if (names.length === 0) return body;
  const values = new Map<string, string>();
  for (const name of names) values.set(name, await resolve(name));
  const replaced = text.replace(REF, (_match, name: string) => values.get(name)!);
  return (Buffer.isBuffer(body) ? Buffer.from(replaced, 'latin1') : replaced) as T;
}

/** True when the bytes parse as one JSON object (the way the service reads bodies). */
export function isJsonObject(body: string | Buffer): boolean {
  try {
    // decoded like the service does: a leading UTF-8 BOM is dropped
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(body));
    const value: unknown = parse(text);
    // a number parses as a LosslessNumber, an object of its own class: only a plain object is one
    return (
      value !== null &&
      typeof value === 'object' &&
      [Object.prototype, null].includes(Object.getPrototypeOf(value) as object | null)
    );
  } catch {
    return false;
  }
}

/** Percent-encodes every byte of the UTF-8 form that is not unreserved (lone surrogates become U+FFFD). */
export function percentEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A path segment or query value: usually well encoded, sometimes with broken percent escapes or raw latin1. */
export const urlText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: anyString.map(percentEncode) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '%',
      '%zz',
      '%E0%A4%A',
      '%00',
      '%C0%AF',
      '%ED%A0%80',
      '%25',
      '%2F',
      '..',
      '.',
      '%2e%2e',
      '+',
      '%20',
      'a%2Fb',
      ';x',
      '~',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom('a', '%', '1', '-', '!', "'", '(', '*', ',', '$', '@', ':', '\u00e9', '\u00ff'),
      maxLength: 8,
    }),
  },
);

/** A query string: known parameters with good or odd values, unknown ones, repeats. */
export function queryString(known: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const names = Object.keys(known);
  const param = fc.oneof(
    ...names.map((name) => ({
      weight: 4,
      arbitrary: fc
        .oneof({ weight: 3, arbitrary: known[name]! }, { weight: 1, arbitrary: urlText })
        .map((value) => `${name}=${value}`),
    })),
    { weight: 1, arbitrary: fc.tuple(urlText, urlText).map(([name, value]) => `${name}=${value}`) },
    { weight: 1, arbitrary: fc.constantFrom(...names, 'x').map((name) => name) },
    { weight: 1, arbitrary: fc.constantFrom('&', '=', '&&', '=&=', '__proto__=1', 'constructor[x]=1', 'a[]=1&a[]=2') },
  );
  return fc.array(param, { maxLength: 4 }).map((params) => (params.length === 0 ? '' : `?${params.join('&')}`));
}
