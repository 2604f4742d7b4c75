import {
  compareGroup,
  Grouper,
  MATCH_FILE_REFERENCES_MAX,
  MATCH_GROUP_MEMBERS_MAX,
} from '../../../src/core/reconciliation/matching';
import { ValidationError } from '../../../src/shared/errors';

const row = (reference: string, line: number) => ({
  reference,
  amountMinor: 100n,
  currency: 'USD',
  dateMs: null,
  line,
});

describe('Grouper limits', () => {
  it('refuses a row naming more than MATCH_GROUP_MEMBERS_MAX references, and goes on', () => {
    const grouper = new Grouper({ referenceDelimiter: ';', sumRepeated: false });
    const tooMany = Array.from({ length: MATCH_GROUP_MEMBERS_MAX + 1 }, (_, index) => `r${index}`).join(';');
    expect(grouper.add(row(tooMany, 2))).toBe(`line 2: more than ${MATCH_GROUP_MEMBERS_MAX} references`);
    expect(grouper.add(row('a;b', 3))).toBeUndefined();
    expect(grouper.groups.map((group) => group.ledgerReferences)).toEqual([['a', 'b']]);
  });

  it('refuses the whole file once it names more than MATCH_FILE_REFERENCES_MAX references in all', () => {
    const grouper = new Grouper({ referenceDelimiter: ';', sumRepeated: false });
    const perRow = MATCH_GROUP_MEMBERS_MAX;
    const fullRows = MATCH_FILE_REFERENCES_MAX / perRow;
    for (let index = 0; index < fullRows; index += 1) {
      const references = Array.from({ length: perRow }, (_, member) => `r${index}-${member}`).join(';');
      expect(grouper.add(row(references, index + 2))).toBeUndefined();
    }
    expect(() => grouper.add(row('one-more', fullRows + 2))).toThrow(ValidationError);
    expect(() => grouper.add(row('and-another', fullRows + 3))).toThrow(/at most 200000 ledger references in all/);
  });
});

describe('compareGroup and the allowed drift', () => {
  const DRIFT_MINOR = 5n;
  const ledger = (reference: string, amountMinor: bigint) =>
    [reference, { reference, amountMinor, currency: 'USD' }] as const;
  const fileRow = (reference: string, amountMinor: bigint, line: number) => ({
    reference,
    amountMinor,
    currency: 'USD',
    dateMs: null,
    line,
  });

  /** One file row of 300 paying three ledger records whose sum is 300 + `offsetMinor`. */
  function oneToMany(offsetMinor: bigint) {
    const group = {
      kind: 'one-to-many' as const,
      reference: 'a;b;c',
      rows: [fileRow('a;b;c', 300n, 2)],
      ledgerReferences: ['a', 'b', 'c'],
    };
    return compareGroup(
      group,
      new Map([ledger('a', 100n), ledger('b', 100n), ledger('c', 100n + offsetMinor)]),
      DRIFT_MINOR,
    );
  }

  /** Three file rows of 100 paying one ledger record of 300 + `offsetMinor`. */
  function manyToOne(offsetMinor: bigint) {
    const group = {
      kind: 'many-to-one' as const,
      reference: 'w',
      rows: [2, 3, 4].map((line) => fileRow('w', 100n, line)),
      ledgerReferences: ['w'],
    };
    return compareGroup(group, new Map([ledger('w', 300n + offsetMinor)]), DRIFT_MINOR);
  }

  it.each([
    ['one-to-many', oneToMany],
    ['many-to-one', manyToOne],
  ])('%s: matched within the drift either way, a mismatch beyond it either way', (_kind, compare) => {
    expect(compare(DRIFT_MINOR).outcome).toBe('matched');
    expect(compare(-DRIFT_MINOR).outcome).toBe('matched');
    expect(compare(DRIFT_MINOR + 1n)).toMatchObject({
      outcome: 'amount_mismatch',
      externalMinor: 300n,
      ledgerMinor: 306n,
      detail: 'differs by -6 minor units',
    });
    expect(compare(-DRIFT_MINOR - 1n)).toMatchObject({
      outcome: 'amount_mismatch',
      ledgerMinor: 294n,
      detail: 'differs by 6 minor units',
    });
  });
});
