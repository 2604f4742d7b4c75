import type { FinanceRecord } from '../../core/balance-operations/balance-operation-store';
import type { TradeEventData } from '../../core/events/event-store';
import { formatMinorUnits } from '../../core/money/amount';
import { requireCurrency } from '../../core/money/currency';

/** The comment of a wallet trade's event (the platform's trades carry none). */
const WALLET_TRADE_COMMENT = 'wallet trade';

/**
 * The `data` of ScaleTrade's trade:event, as JSON text, from what the ledger recorded: amounts are
 * JSON numbers with the currency's decimals (`250.00`), written from exact minor units. The same
 * shape answers Sync commands, GetFinanceRecord and GetTransactionsByLogin.
 */
export function tradeEventDataJson(data: TradeEventData): string {
  const scale = requireCurrency(data.currency).scale;
  const amount = (minor: bigint) => formatMinorUnits(minor, scale);
  const fields: string[] = [
    `"order":${data.orderNo}`,
    `"login":${data.login}`,
    `"cmd":${data.cmd}`,
    `"state":${data.state}`,
  ];
  if (data.stakeMinor !== null) fields.push(`"stake":${amount(data.stakeMinor)}`);
  if (data.payoutMinor !== null) fields.push(`"payout":${amount(data.payoutMinor)}`);
  fields.push(`"profit":${amount(data.profitMinor)}`);
  fields.push(`"comment":${JSON.stringify(data.comment ?? (data.tradeId === null ? '' : WALLET_TRADE_COMMENT))}`);
  if (data.tradeType !== null) fields.push(`"externalTradeType":${JSON.stringify(data.tradeType)}`);
  if (data.tradeId !== null) fields.push(`"externalTradeId":${JSON.stringify(data.tradeId)}`);
  fields.push(`"open_time":${data.openTime}`, `"close_time":${data.closeTime}`);
  return `{${fields.join(',')}}`;
}

/** A finance record as it stands, in its event's shape. */
export function financeRecordDataJson(record: FinanceRecord): string {
  return tradeEventDataJson({
    orderNo: record.orderNo,
    login: record.login,
    cmd: record.cmd,
    state: record.state,
    currency: record.currency,
    profitMinor: record.amountMinor,
    comment: record.comment,
    openTime: record.openTime,
    closeTime: record.closeTime,
    stakeMinor: null,
    payoutMinor: null,
    tradeType: null,
    tradeId: null,
  });
}
