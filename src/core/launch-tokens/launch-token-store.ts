import type { Database } from '../../db/database';

export class LaunchTokenStore {
  constructor(private readonly db: Database) {}

  /** Stores the token's digest; the expiry is taken from the database clock, which checks it. */
  async insert(tokenHash: Buffer, login: bigint, ttlMs: number): Promise<Date> {
    const [row] = await this.db('launch_tokens')
      .insert({
        token_hash: tokenHash,
        login: login.toString(),
        expires_at: this.db.raw(`now() + make_interval(secs => ?)`, [ttlMs / 1000]),
      })
      .returning<{ expires_at: Date }[]>('expires_at');
    return row!.expires_at;
  }
}
