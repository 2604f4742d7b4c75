import { formatMinorUnits } from '../../core/money/amount';
import { requireCurrency } from '../../core/money/currency';

/** Minor units of one currency as the decimal text every transport shows (`1250n` -> `12.50` in USD). */
export function unitsOf(currency: string): (minor: bigint) => string {
  const { scale } = requireCurrency(currency);
  return (minor) => formatMinorUnits(minor, scale);
}
