import type { Knex } from 'knex';

/**
 * The finance core: accounts with three buckets, the append-only double-entry ledger,
 * wallet trades, tokens, idempotency records, finance records and the event outbox.
 * Amounts are BIGINT minor units of the row's currency. Functions live in `src/**\/*.sql`
 * (applied by the migrator after the migrations, see src/db/migrator.ts).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE currencies (
      code  text PRIMARY KEY CHECK (code ~ '^[A-Z]{3,5}$'),
      scale smallint NOT NULL CHECK (scale BETWEEN 0 AND 18)
    );
    INSERT INTO currencies (code, scale) VALUES
      ('USD', 2), ('EUR', 2), ('GBP', 2), ('JPY', 0), ('USDT', 6), ('BTC', 8);

    CREATE TABLE accounts (
      login         bigint PRIMARY KEY CHECK (login > 0),
      currency      text NOT NULL REFERENCES currencies (code),
      name          text CHECK (char_length(name) <= 200),
      status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
      balance_minor bigint NOT NULL DEFAULT 0 CONSTRAINT balance_not_negative CHECK (balance_minor >= 0),
      credit_minor  bigint NOT NULL DEFAULT 0 CONSTRAINT credit_not_negative CHECK (credit_minor >= 0),
      held_minor    bigint NOT NULL DEFAULT 0 CONSTRAINT held_not_negative CHECK (held_minor >= 0),
      -- increases by one on every journal entry of the account: orders its history and its events
      version       bigint NOT NULL DEFAULT 0,
      created_at    timestamptz NOT NULL DEFAULT now(),
      updated_at    timestamptz NOT NULL DEFAULT now()
    );

    -- Order numbers of trades and finance records (ScaleTrade's "order"), shared like its tickets.
    CREATE SEQUENCE order_numbers START WITH 1000001;

    CREATE TABLE journal_entries (
      id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      order_no            bigint NOT NULL,
      login               bigint NOT NULL REFERENCES accounts (login),
      account_version     bigint NOT NULL,
      currency            text NOT NULL REFERENCES currencies (code),
      operation           text NOT NULL,
      balance_delta_minor bigint NOT NULL,
      credit_delta_minor  bigint NOT NULL,
      held_delta_minor    bigint NOT NULL,
      balance_after_minor bigint NOT NULL,
      credit_after_minor  bigint NOT NULL,
      held_after_minor    bigint NOT NULL,
      actor_kind          text NOT NULL CHECK (actor_kind IN ('wallet', 'admin', 'manager', 'system')),
      actor               text NOT NULL,
      idempotency_key     text,
      comment             text,
      created_at          timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT journal_entries_one_per_account_version UNIQUE (login, account_version)
    );
    CREATE INDEX journal_entries_order_no ON journal_entries (order_no);
    CREATE INDEX journal_entries_created_at ON journal_entries USING brin (created_at);

    -- One row per book an entry touches. Account books ('balance', 'credit', 'held') belong to the
    -- entry's account; every other book is a system book of the entry's currency ('house', 'cash',
    -- 'bonus', ...). System books keep no running balance row: they are sums of their postings, so
    -- no single row becomes hot.
    CREATE TABLE postings (
      entry_id     bigint NOT NULL REFERENCES journal_entries (id),
      book         text NOT NULL,
      amount_minor bigint NOT NULL CHECK (amount_minor <> 0),
      PRIMARY KEY (entry_id, book)
    );

    CREATE FUNCTION forbid_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the ledger is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON journal_entries
      FOR EACH STATEMENT EXECUTE FUNCTION forbid_ledger_change();
    CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON postings
      FOR EACH STATEMENT EXECUTE FUNCTION forbid_ledger_change();

    -- Wallet trades keyed by the platform's (externalTradeType, externalTradeId).
    CREATE TABLE trades (
      trade_type              text NOT NULL,
      trade_id                text NOT NULL,
      order_no                bigint NOT NULL UNIQUE,
      login                   bigint NOT NULL REFERENCES accounts (login),
      currency                text NOT NULL REFERENCES currencies (code),
      -- 'orphan_closed': a closetrade for a key never opened; recorded, no money moved
      state                   text NOT NULL CHECK (state IN ('open', 'closed', 'orphan_closed')),
      stake_minor             bigint NOT NULL CHECK (stake_minor >= 0),
      stake_from_credit_minor bigint NOT NULL CHECK (stake_from_credit_minor BETWEEN 0 AND stake_minor),
      payout_minor            bigint CHECK (payout_minor >= 0),
      -- the platform balance answered the first time, answered again to replays
      open_balance_minor      bigint,
      close_balance_minor     bigint,
      open_data               jsonb,
      close_data              jsonb,
      opened_at               timestamptz,
      closed_at               timestamptz,
      PRIMARY KEY (trade_type, trade_id),
      CHECK ((state = 'open') = (closed_at IS NULL))
    );
    CREATE INDEX trades_open_by_age ON trades (opened_at) WHERE state = 'open';
    CREATE INDEX trades_orphans ON trades (closed_at) WHERE state = 'orphan_closed';
    CREATE INDEX trades_by_login ON trades (login);

    -- Requests refused because their idempotency key was already used with other content.
    CREATE TABLE refused_duplicates (
      id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      source          text NOT NULL,
      idempotency_key text NOT NULL,
      login           bigint,
      detail          jsonb NOT NULL,
      created_at      timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX refused_duplicates_created_at ON refused_duplicates (created_at);

    -- Tokens are stored as SHA-256 digests: a database dump does not leak usable tokens.
    CREATE TABLE launch_tokens (
      token_hash bytea PRIMARY KEY,
      login      bigint NOT NULL REFERENCES accounts (login),
      expires_at timestamptz NOT NULL,
      used_at    timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX launch_tokens_expires_at ON launch_tokens (expires_at);
    CREATE TABLE wallet_tokens (
      token_hash bytea PRIMARY KEY,
      login      bigint NOT NULL REFERENCES accounts (login),
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    -- v2 signature nonces, shared by every instance; rows older than the replay window are pruned.
    CREATE TABLE wallet_nonces (
      nonce   text PRIMARY KEY,
      seen_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX wallet_nonces_seen_at ON wallet_nonces (seen_at);

    -- Balance operations of the admin API and the manager API (ScaleTrade's finance records).
    CREATE TABLE finance_records (
      order_no     bigint PRIMARY KEY,
      login        bigint NOT NULL REFERENCES accounts (login),
      cmd          smallint NOT NULL,
      operation    text NOT NULL,
      bucket       text NOT NULL CHECK (bucket IN ('balance', 'credit')),
      -- signed amount the record currently applies to its bucket
      amount_minor bigint NOT NULL,
      state        smallint NOT NULL,
      comment      text,
      open_time    bigint NOT NULL,
      close_time   bigint NOT NULL,
      source       text NOT NULL CHECK (source IN ('admin', 'manager')),
      actor        text NOT NULL,
      reference_id text,
      created_at   timestamptz NOT NULL DEFAULT now(),
      updated_at   timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX finance_records_by_login ON finance_records (login, order_no);

    -- Once-only keys (admin/manager referenceId) with a digest of the request they were used for.
    CREATE TABLE idempotency_keys (
      scope          text NOT NULL,
      key            text NOT NULL,
      request_digest bytea NOT NULL,
      order_no       bigint NOT NULL,
      -- the event the first application wrote: a replay of a Sync command answers with its record
      event_type     text NOT NULL,
      created_at     timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (scope, key)
    );

    -- The outbox: every money movement writes its event in the same transaction. The id is taken
    -- while the account row is locked, so per account the id order is the commit order.
    CREATE TABLE events (
      id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      channel    text NOT NULL,
      type       text NOT NULL,
      login      bigint NOT NULL,
      order_no   bigint,
      payload    jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp()
    );
    CREATE INDEX events_created_at ON events USING brin (created_at);

    -- Repeatable SQL (functions) applied after the migrations, by checksum.
    CREATE TABLE sql_definitions (
      name       text PRIMARY KEY,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE sql_definitions, events, idempotency_keys, finance_records, wallet_nonces, wallet_tokens,
      launch_tokens, refused_duplicates, trades, postings, journal_entries, accounts, currencies CASCADE;
    DROP SEQUENCE order_numbers;
    DROP FUNCTION forbid_ledger_change();
  `);
}
