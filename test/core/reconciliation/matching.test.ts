import { Grouper, MATCH_FILE_REFERENCES_MAX, MATCH_GROUP_MEMBERS_MAX } from '../../../src/core/reconciliation/matching';
import { ValidationError } from '../../../src/shared/errors';

const row = (reference: string, line: number) => ({ reference, amountMinor: 100n, currency: 'USD', dateMs: null, line });

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
