import { AccountService } from './accounts/account-service';
import { AccountStore } from './accounts/account-store';
import { BalanceOperationService } from './balance-operations/balance-operation-service';
import { BalanceOperationStore } from './balance-operations/balance-operation-store';
import type { Config } from './config';
import type { Database } from './db/database';
import { LedgerService } from './ledger/ledger-service';
import { LedgerStore } from './ledger/ledger-store';
import { EventRelay } from './events/event-relay';
import { EventStore } from './events/event-store';
import { ManagerAuthService } from './manager/manager-auth-service';
import { ManagerStore } from './manager/manager-store';
import type { Logger } from './observability/logger';
import type { Metrics } from './observability/metrics';
import { MatchService } from './reconciliation/match-service';
import { ReconciliationService } from './reconciliation/reconciliation-service';
import { MatchStore, ReconciliationStore } from './reconciliation/reconciliation-store';
import { LaunchTokenService } from './operator/launch-token-service';
import { LaunchTokenStore } from './operator/launch-token-store';
import { WalletService } from './wallet/wallet-service';
import { WalletSignatureVerifier } from './wallet/wallet-signature';
import { WalletStore } from './wallet/wallet-store';

/** The finance core and its services, built once per instance and shared by every transport. */
export interface Services {
  config: Config;
  accounts: AccountService;
  launchTokens: LaunchTokenService;
  wallet: WalletService;
  walletVerifier: WalletSignatureVerifier;
  balanceOperations: BalanceOperationService;
  ledger: LedgerService;
  managerAuth: ManagerAuthService;
  events: EventRelay;
  reconciliation: ReconciliationService;
  matching: MatchService;
}

/**
 * The pools the services use: money transactions (and the event relay, which Sync answers wait for)
 * apart from the back office's reads and reports, so that neither can starve the other.
 */
export interface ServicePools {
  money: Database;
  backOffice: Database;
}

export function createServices(pools: ServicePools, databaseUrl: string, config: Config, metrics: Metrics, logger: Logger): Services {
  const { money, backOffice } = pools;
  const onRetry = () => metrics.dbRetries.inc();
  const eventStore = new EventStore(money);
  const events = new EventRelay(eventStore, databaseUrl, logger, metrics);
  const onEventsCommitted = () => events.committed();
  const accounts = new AccountService(new AccountStore(money));
  const backOfficeAccounts = new AccountService(new AccountStore(backOffice));
  return {
    config,
    accounts,
    launchTokens: new LaunchTokenService(new LaunchTokenStore(money), accounts),
    wallet: new WalletService(new WalletStore(money, onRetry, onEventsCommitted), config.walletTokenTtlS, (size) => metrics.walletBatchSize.observe(size)),
    walletVerifier: new WalletSignatureVerifier(config.walletSecrets, config.walletSignatureMode),
    balanceOperations: new BalanceOperationService(new BalanceOperationStore(money, onRetry, onEventsCommitted), eventStore),
    ledger: new LedgerService(new LedgerStore(backOffice), backOfficeAccounts),
    managerAuth: new ManagerAuthService(new ManagerStore(money)),
    events,
    reconciliation: new ReconciliationService(new ReconciliationStore(backOffice), backOfficeAccounts),
    matching: new MatchService(new MatchStore(backOffice)),
  };
}
