import type { Knex } from 'knex';

/**
 * The manager TCP API: manager users with roles, their sessions (usable from any connection on any
 * instance), failed-login records for throttling, and the writer's transaction id on every event
 * so that the event relay can deliver late commits exactly once (src/events/event-relay.ts).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE managers (
      login         bigint PRIMARY KEY CHECK (login > 0),
      role          text NOT NULL CHECK (role IN ('SESSION_ADMIN', 'SESSION_MANAGER', 'SESSION_DEALER', 'SESSION_VIEWER')),
      -- scrypt, with its parameters and salt: "scrypt$N$r$p$salt$hash" (base64)
      password_hash text NOT NULL,
      created_at    timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE manager_sessions (
      token_hash    bytea PRIMARY KEY,
      manager_login bigint NOT NULL REFERENCES managers (login),
      expires_at    timestamptz NOT NULL,
      created_at    timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX manager_sessions_expires_at ON manager_sessions (expires_at);

    CREATE TABLE manager_login_failures (
      id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      login     bigint,
      address   text NOT NULL,
      failed_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX manager_login_failures_by_login ON manager_login_failures (login, failed_at);
    CREATE INDEX manager_login_failures_by_address ON manager_login_failures (address, failed_at);

    ALTER TABLE events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
    CREATE INDEX events_txid ON events (txid);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX events_txid;
    ALTER TABLE events DROP COLUMN txid;
    DROP TABLE manager_login_failures, manager_sessions, managers;
  `);
}
