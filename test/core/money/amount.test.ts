import { formatMinorUnits, parseMinorUnits } from '../../../src/core/money/amount';
import {
  signedAmount,
  ADMIN_OPERATIONS,
  MANAGER_FINANCE_KINDS,
} from '../../../src/core/balance-operations/operation-kinds';
import { ValidationError } from '../../../src/shared/errors';

describe('parseMinorUnits', () => {
  it.each([
    ['100', 2, 10000n],
    ['0.10', 2, 10n],
    ['1.0000000000', 2, 100n],
    ['2.5e2', 2, 25000n],
    ['-150.00', 2, -15000n],
    ['90071992.54740993', 8, 9007199254740993n],
    ['7', 0, 7n],
    ['1e-2', 2, 1n],
  ])('reads %s with %i decimals exactly as %s minor units', (text, scale, minor) => {
    expect(parseMinorUnits(text, scale)).toBe(minor);
  });

  it.each([
    ['0.001', 2],
    ['1.5', 0],
    ['abc', 2],
    ['', 2],
    ['1e41', 2],
    ['1'.repeat(65), 2],
    ['1000000000000000000', 0],
    ['0x10', 2],
    [' 1', 2],
  ])('refuses %j with %i decimals', (text, scale) => {
    expect(() => parseMinorUnits(text, scale)).toThrow(ValidationError);
  });
});

describe('formatMinorUnits', () => {
  it.each([
    [218000n, 2, '2180.00'],
    [5n, 2, '0.05'],
    [-15000n, 2, '-150.00'],
    [7n, 0, '7'],
    [1n, 8, '0.00000001'],
  ])('writes %s with %i decimals as %s', (minor, scale, text) => {
    expect(formatMinorUnits(minor, scale)).toBe(text);
    expect(parseMinorUnits(text, scale)).toBe(minor);
  });
});

describe('signedAmount', () => {
  it('uses the absolute value for the admin API, except for the signed adjustment', () => {
    expect(signedAmount(ADMIN_OPERATIONS.add, -500n)).toBe(500n);
    expect(signedAmount(ADMIN_OPERATIONS.sub, 500n)).toBe(-500n);
    expect(signedAmount(ADMIN_OPERATIONS.commission, -5n)).toBe(-5n);
    expect(signedAmount(ADMIN_OPERATIONS.adjustment, -5n)).toBe(-5n);
  });

  it("requires a manager command's own sign", () => {
    expect(signedAmount(MANAGER_FINANCE_KINDS.BalanceOut, -150n)).toBe(-150n);
    expect(() => signedAmount(MANAGER_FINANCE_KINDS.BalanceOut, 150n)).toThrow(
      'amount must be negative for balance_out',
    );
    expect(() => signedAmount(MANAGER_FINANCE_KINDS.CreditIn, -1n)).toThrow('amount must be positive for credit_in');
  });
});
