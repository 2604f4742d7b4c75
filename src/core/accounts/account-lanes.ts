import { AccountBusyError, UnavailableError } from '../../shared/errors';
import { LaneBatcher } from '../../shared/lane-batcher';

/** Requests waiting for one account on one instance, at most; beyond, the account is busy (503). */
export const ACCOUNT_QUEUE_MAX = 64;
/** Wallet requests of one account run together in one transaction, at most. */
export const ACCOUNT_WALLET_BATCH_MAX = 256;

/** Money work queued on one account: wallet requests that met it locked, or a balance operation. */
type AccountWork<WalletOp> = { login: bigint; walletOp: WalletOp } | { login: bigint; run: () => Promise<unknown> };

/**
 * The lanes of the accounts that money work waits for, one per account per instance, shared by the
 * wallet and the balance operations: requests of one account wait here, in the application, not in
 * the connection pool, and one transaction at a time per account asks PostgreSQL for its lock. So
 * an account someone else holds locked (a slow transaction, an operator's psql) holds one pooled
 * connection, waiting at most ACCOUNT_LOCK_TIMEOUT_MS; when that fires, everything queued on the
 * account gets AccountBusyError at once (it would wait for the same lock), and nothing else waits.
 *
 * Wallet requests that queue together run in one transaction (in wait mode); a balance operation
 * runs alone.
 */
export class AccountLanes<WalletOp, WalletResult> {
  private readonly lanes: LaneBatcher<AccountWork<WalletOp>, unknown>;

  constructor(executeWallet: (operations: WalletOp[]) => Promise<WalletResult[]>) {
    this.lanes = new LaneBatcher<AccountWork<WalletOp>, unknown>({
      execute: (works) => {
        const first = works[0]!;
        if ('run' in first) return first.run().then((result) => [result]);
        return executeWallet(works.map((work) => (work as { walletOp: WalletOp }).walletOp));
      },
      laneOf: (work) => work.login,
      joins: (first, next) => 'walletOp' in first && 'walletOp' in next,
      batchSizeMax: ACCOUNT_WALLET_BATCH_MAX,
      queueLengthMax: ACCOUNT_QUEUE_MAX,
      overloaded: () =>
        new AccountBusyError('too many requests wait for this account; nothing was applied, retry later'),
      onFailure: (error) => {
        if (error instanceof AccountBusyError) return 'reject-lane';
        return error instanceof UnavailableError ? 'reject-batch' : 'split';
      },
    });
  }

  /** A wallet request that met its account locked: it waits for the lock with the account's other work. */
  wallet(login: bigint, walletOp: WalletOp): Promise<WalletResult> {
    return this.lanes.submit({ login, walletOp }) as Promise<WalletResult>;
  }

  /** A balance operation: it runs when the account's earlier work is done. */
  run<T>(login: bigint, run: () => Promise<T>): Promise<T> {
    return this.lanes.submit({ login, run }) as Promise<T>;
  }
}
