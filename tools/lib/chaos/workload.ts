/**
 * The chaos workload: concurrent clients issuing wallet trades (open, close, orphan closes), admin
 * balance operations and manager commands (Sync and not), each with an idempotency key. A request
 * without a definitive answer (timeout, dropped connection, 5xx) is an uncertain outcome, resolved
 * the way a real client does: by sending the same request again (to any instance) until one answer
 * is definitive. Some requests are repeated on purpose with the same content (must replay) or with
 * a changed amount (must be refused).
 */
import { HttpJsonClient } from '@wallet-service/client';
import { ManagerClient } from '@wallet-service/client';
import { WalletClient } from '@wallet-service/client';
import { CHAOS_CREDENTIALS, sleep, type Instance } from './cluster';

/** A request without an answer after this long is uncertain. */
const HTTP_TIMEOUT_MS = 5_000;
const TCP_TIMEOUT_MS = 8_000;
const RETRY_BACKOFF_MIN_MS = 50;
const RETRY_BACKOFF_MAX_MS = 400;

export type OpKind =
  'open' | 'close' | 'orphan' | 'open-after-orphan' | 'admin-add' | 'admin-sub' | 'manager-in' | 'manager-in-sync';

export interface Op {
  kind: OpKind;
  login: number;
  key: string;
  amountMinor: bigint;
  /** For closes: the stake of the trade being closed. */
  stakeMinor?: bigint;
  outcome: 'pending' | 'acked' | 'refused';
  attempts: number;
  detail?: string;
  /** The order a manager command was answered with. */
  order?: number;
}

/** How a violation of "an answer belongs to its command" starts. */
export const FOREIGN_ANSWER = 'answer of another command';

export interface Account {
  login: number;
  token: string;
}

type Answer = { definitive: false } | { definitive: true; accepted: boolean; detail: string };

export class ChaosClients {
  private readonly http = new Map<number, HttpJsonClient>();
  private readonly wallet = new Map<number, WalletClient>();
  private readonly managers = new Map<number, ManagerClient>();
  attempts = 0;
  uncertain = 0;
  /** Answers whose data is not their command's own (another login, amount or comment). */
  readonly foreignAnswers: string[] = [];

  constructor(
    private readonly instances: Instance[],
    private readonly managerToken: string,
  ) {}

  /** Sends `op` until an answer is definitive, or `deadline` passes (the op then stays pending). */
  async settle(op: Op, deadline: number, amountMinor = op.amountMinor): Promise<Answer> {
    for (;;) {
      const instance = this.pickInstance();
      op.attempts += 1;
      this.attempts += 1;
      const answer = instance
        ? await this.send(op, instance, amountMinor).catch((): Answer => ({ definitive: false }))
        : { definitive: false as const };
      if (answer.definitive) return answer;
      this.uncertain += 1;
      if (Date.now() > deadline) return answer;
      await sleep(RETRY_BACKOFF_MIN_MS + Math.random() * (RETRY_BACKOFF_MAX_MS - RETRY_BACKOFF_MIN_MS));
    }
  }

  close(): void {
    for (const client of this.http.values()) client.close();
    for (const client of this.wallet.values()) client.close();
    for (const client of this.managers.values()) void client.close();
  }

  private pickInstance(): Instance | undefined {
    const up = this.instances.filter((instance) => instance.up);
    const pool = up.length > 0 ? up : this.instances;
    return pool[Math.floor(Math.random() * pool.length)];
  }

  private send(op: Op, instance: Instance, amountMinor: bigint): Promise<Answer> {
    switch (op.kind) {
      case 'open':
      case 'open-after-orphan':
        return this.walletCall(instance, 'opentrade', op, amountMinor);
      case 'close':
      case 'orphan':
        return this.walletCall(instance, 'closetrade', op, amountMinor);
      case 'admin-add':
      case 'admin-sub':
        return this.adminCall(instance, op, amountMinor);
      case 'manager-in':
      case 'manager-in-sync':
        return this.managerCall(instance, op, amountMinor);
    }
  }

  private async walletCall(
    instance: Instance,
    action: 'opentrade' | 'closetrade',
    op: Op,
    amountMinor: bigint,
  ): Promise<Answer> {
    const client = this.walletClient(instance);
    const response = await client.send(
      action,
      {
        token: tokenOf(op.login),
        amount: decimal(amountMinor),
        currency: 'USD',
        externalTradeType: 'chaos',
        externalTradeId: op.key,
      },
      HTTP_TIMEOUT_MS,
    );
    if (response.status !== 200) return { definitive: false };
    const status = (response.body as { status: string }).status;
    return { definitive: true, accepted: status === 'Ok', detail: status };
  }

  private async adminCall(instance: Instance, op: Op, amountMinor: bigint): Promise<Answer> {
    const client = this.httpClient(instance);
    const body = {
      accountId: op.login,
      operation: op.kind === 'admin-add' ? 'add' : 'sub',
      amount: decimal(amountMinor),
      referenceId: op.key,
    };
    const response = await client.request(
      'POST',
      '/admin/balance',
      JSON.stringify(body),
      { Authorization: `Bearer ${CHAOS_CREDENTIALS.adminApiKey}` },
      HTTP_TIMEOUT_MS,
    );
    if (response.status >= 500) return { definitive: false };
    return { definitive: true, accepted: response.status === 200, detail: String(response.status) };
  }

  private async managerCall(instance: Instance, op: Op, amountMinor: bigint): Promise<Answer> {
    const client = await this.managerClient(instance);
    const sync = op.kind === 'manager-in-sync';
    const amount = Number(decimal(amountMinor));
    // the key as comment: a Sync answer (the event's data) must carry this command's own comment
    const data = { login: op.login, amount, comment: op.key, referenceId: op.key };
    const answer = await withTimeout(
      client.command(sync ? 'BalanceInSync' : 'BalanceIn', data, { token: this.managerToken }),
      TCP_TIMEOUT_MS,
    ).catch((error: unknown) => {
      this.dropManager(instance, client);
      throw error;
    });
    if (answer.status >= 500) return { definitive: false };
    if (answer.status === 200) {
      const own = sync
        ? { login: op.login, cmd: 6, state: 3, profit: amount, comment: op.key }
        : { accepted: true, login: op.login, cmd: 6, amount, state: 10 };
      const foreign = Object.entries(own).filter(([field, value]) => answer.data[field] !== value);
      if (foreign.length > 0)
        this.foreignAnswers.push(`${FOREIGN_ANSWER}: ${op.kind} ${op.key} was answered ${JSON.stringify(answer.data)}`);
      op.order = answer.data.order as number;
    }
    return { definitive: true, accepted: answer.status === 200, detail: String(answer.status) };
  }

  private walletClient(instance: Instance): WalletClient {
    let client = this.wallet.get(instance.index);
    if (!client) {
      client = new WalletClient(`http://127.0.0.1:${instance.httpPort}`, CHAOS_CREDENTIALS.walletSecret, {
        signing: Math.random() < 0.2 ? 'legacy' : 'v2',
      });
      this.wallet.set(instance.index, client);
    }
    return client;
  }

  private httpClient(instance: Instance): HttpJsonClient {
    let client = this.http.get(instance.index);
    if (!client) {
      client = new HttpJsonClient(`http://127.0.0.1:${instance.httpPort}`);
      this.http.set(instance.index, client);
    }
    return client;
  }

  private async managerClient(instance: Instance): Promise<ManagerClient> {
    const existing = this.managers.get(instance.index);
    if (existing && !existing.socket.destroyed) return existing;
    const client = await withTimeout(ManagerClient.connect(instance.managerPort), TCP_TIMEOUT_MS);
    client.on('close', () => this.dropManager(instance, client));
    this.managers.set(instance.index, client);
    return client;
  }

  private dropManager(instance: Instance, client: ManagerClient): void {
    if (this.managers.get(instance.index) === client) this.managers.delete(instance.index);
    client.socket.destroy();
  }
}

/** Wallet tokens of chaos accounts are derived from the login (set up directly in the database). */
export function tokenOf(login: number): string {
  return `chaos-token-${login}`;
}

export function decimal(minor: bigint): string {
  const sign = minor < 0n ? '-' : '';
  const digits = (minor < 0n ? -minor : minor).toString().padStart(3, '0');
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
