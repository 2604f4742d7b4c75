import type { Knex } from 'knex';

/**
 * The finance team's console gets users of its own (issue 14): each with a role and a slow password
 * hash; server-side sessions (only a digest of the cookie's token is kept), revocable and shared by
 * every instance; failed authentications counted for throttling (console logins per user and per
 * address, wrong bearer keys per address); and an audit log of who did what.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE console_users (
      id            bigserial PRIMARY KEY,
      username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
      role          text NOT NULL CHECK (role IN ('viewer', 'finance', 'admin')),
      password_hash text NOT NULL,
      disabled_at   timestamptz,
      created_at    timestamptz NOT NULL DEFAULT now(),
      created_by    text NOT NULL
    );

    CREATE TABLE console_sessions (
      token_hash   bytea PRIMARY KEY,
      user_id      bigint NOT NULL REFERENCES console_users (id),
      csrf_token   text NOT NULL,
      address      text NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at   timestamptz NOT NULL,
      revoked_at   timestamptz
    );
    CREATE INDEX console_sessions_user ON console_sessions (user_id);

    CREATE TABLE auth_failures (
      id        bigserial PRIMARY KEY,
      scope     text NOT NULL,
      subject   text NOT NULL,
      failed_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX auth_failures_subject ON auth_failures (scope, subject, failed_at);

    CREATE TABLE audit_log (
      id     bigserial PRIMARY KEY,
      at     timestamptz NOT NULL DEFAULT now(),
      actor  text NOT NULL,
      action text NOT NULL,
      target text,
      detail jsonb NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE audit_log, auth_failures, console_sessions, console_users');
}
