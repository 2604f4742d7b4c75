/**
 * Subscribers of trade:event on every instance during a chaos run, reconnecting when their instance
 * dies. At the end, what each subscription received is held against the ledger: every event is of a
 * transaction that is in the books (none of a transaction a failover erased), none twice, and per
 * account in commit order with no gap while the subscription stayed open.
 */
import { ManagerClient, type ManagerEvent } from '@wallet-service/client';
import type pg from 'pg';
import { sleep, type Instance } from './cluster';

const RECONNECT_DELAY_MS = 500;
/** How a violation of the event checks starts. */
export const EVENT_VIOLATION = 'event';

interface Subscription {
  instance: number;
  /** When the subscription was answered. */
  since: string;
  events: Array<ManagerEvent & { at: string }>;
}

interface LedgerEvent {
  type: string;
  order_no: string;
  login: string;
  profit_minor: string;
  account_version: string | null;
}

export class EventWatchers {
  private readonly subscriptions: Subscription[] = [];
  private readonly clients = new Set<ManagerClient>();
  private stopped = false;

  constructor(
    private readonly instances: Instance[],
    private readonly token: string,
  ) {}

  start(): void {
    for (const instance of this.instances) void this.watch(instance);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.clients].map((client) => client.close()));
  }

  get received(): number {
    return this.subscriptions.reduce((total, subscription) => total + subscription.events.length, 0);
  }

  /** One subscription after another on this instance, for as long as the run lasts. */
  private async watch(instance: Instance): Promise<void> {
    while (!this.stopped) {
      const client = await ManagerClient.connect(instance.managerPort, '127.0.0.1', { plainNumbers: false }).catch(
        () => undefined,
      );
      if (client) {
        this.clients.add(client);
        const subscription: Subscription = { instance: instance.index, since: '', events: [] };
        client.on('event', (event: ManagerEvent) =>
          subscription.events.push({ ...event, at: new Date().toISOString() }),
        );
        const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
        const answer = await client
          .command('Subscribe', { channels: ['trade:event'] }, { token: this.token })
          .catch(() => undefined);
        // exact numbers: the status is a LosslessNumber too
        if (String(answer?.status) === '200') {
          subscription.since = new Date().toISOString();
          this.subscriptions.push(subscription);
        } else void client.close();
        await closed;
        this.clients.delete(client);
      }
      await sleep(RECONNECT_DELAY_MS);
    }
  }

  /** The events received, held against the ledger as it stands after the run. */
  async verify(client: pg.Client): Promise<string[]> {
    const { rows } = await client.query<LedgerEvent>(
      `SELECT e.type, e.order_no::text, e.login::text, e.profit_minor::text, j.account_version::text
         FROM events e LEFT JOIN journal_entries j ON j.id = e.entry_id`,
    );
    const ledger = new Map(rows.map((row) => [`${row.type}|${row.order_no}`, row]));
    const violations: string[] = [];
    for (const subscription of this.subscriptions) {
      const seen = new Set<string>();
      const lastVersion = new Map<string, bigint>();
      for (const event of subscription.events) {
        const order = String(event.data.order);
        const key = `${event.type}|${order}`;
        const where = `subscriber on instance ${subscription.instance} since ${subscription.since}: ${event.type} of order ${order} at ${event.at}`;
        if (seen.has(key)) violations.push(`${EVENT_VIOLATION}: ${where} received twice`);
        seen.add(key);
        const booked = ledger.get(key);
        if (!booked) {
          violations.push(`${EVENT_VIOLATION}: ${where} is of no transaction in the books (erased by a failover?)`);
          continue;
        }
        if (booked.login !== String(event.data.login) || !sameMinor(String(event.data.profit), booked.profit_minor)) {
          violations.push(
            `${EVENT_VIOLATION}: ${where} says ${JSON.stringify(event.data)}, the books ${JSON.stringify(booked)}`,
          );
        }
        if (booked.account_version === null) continue;
        const version = BigInt(booked.account_version);
        const previous = lastVersion.get(booked.login);
        if (previous !== undefined && version !== previous + 1n) {
          violations.push(
            `${EVENT_VIOLATION}: ${where} is version ${version} of account ${booked.login} after ${previous} (out of order, or one missing)`,
          );
        }
        lastVersion.set(booked.login, version);
      }
    }
    return violations;
  }
}

/** The chaos accounts are in USD (2 decimals): the event's exact decimal text against minor units. */
function sameMinor(decimal: string, minor: string): boolean {
  const [whole = '0', fraction = ''] = decimal.replace('-', '').split('.');
  const value = BigInt(whole) * 100n + BigInt((fraction + '00').slice(0, 2));
  return (decimal.startsWith('-') ? -value : value) === BigInt(minor);
}
