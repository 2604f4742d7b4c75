import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './shared/errors';

/** Configuration of one service instance, read from the environment (see `.env.example`). */
export interface Config extends DatabaseSettings {
  host: string;
  httpPort: number;
  managerPort: number;
  walletSecrets: string[];
  walletSignatureMode: WalletSignatureMode;
  operatorApiKey: string;
  adminApiKey: string;
  managerSyncTimeoutMs: number;
  accountLockTimeoutMs: number;
  walletTokenTtlS: number;
  /** How money requests (wallet, balance operations) are coalesced (MONEY_LANES, MONEY_BATCH_SIZE_MAX). */
  moneyBatching: MoneyBatching;
  logLevel: string;
  /** TLS of the manager TCP port (MANAGER_TLS_CERT_FILE, MANAGER_TLS_KEY_FILE); unset: plain TCP. */
  managerTls: { certFile: string; keyFile: string } | undefined;
  /** Express's `trust proxy` (TRUST_PROXY): which proxies' X-Forwarded-For/-Proto to believe; false: none. */
  trustProxy: boolean | number | string;
  /** Secrets generated for this start, not yet saved: main.ts saves and prints them once the service is up. */
  generatedSecrets: GeneratedSecrets | undefined;
}

export type WalletSignatureMode = 'v2' | 'legacy' | 'either';

/**
 * Lanes of one instance, each with at most one transaction in flight (the wallet has this many, and
 * so have the balance operations), and requests coalesced into one transaction, at most.
 */
export interface MoneyBatching {
  lanes: number;
  batchSizeMax: number;
}

/**
 * Defaults measured on a 2-core database (issue 15, docs/operations.md#sizing-a-deployment): 2 lanes keep both of its cores
 * busy, so more lanes only add lock and commit contention there; a larger database takes about one
 * lane per 2 of its cores.
 */
export const MONEY_BATCHING_DEFAULT: MoneyBatching = { lanes: 2, batchSizeMax: 256 };
export const MONEY_LANES_MAX = 64;
export const MONEY_BATCH_SIZE_LIMIT = 1024;

const SECRET_LENGTH_MIN = 16;
export const ACCOUNT_LOCK_TIMEOUT_MS_DEFAULT = 2000;
export const WALLET_TOKEN_TTL_S_DEFAULT = 86_400;
const SECRETS_FILE = 'secrets.json';

const PORT_MAX = 65535;
const port = z
  .string()
  .regex(/^\d{1,5}$/, `must be a port number, 0 to ${PORT_MAX}`)
  .transform(Number)
  .refine((value) => value <= PORT_MAX, `must be a port number, 0 to ${PORT_MAX}`);
const postgresUrl = z.string().refine(isPostgresUrl, 'must be a URL like postgres://user:password@host:5432/database');
const flag = z.enum(['true', 'false']).transform((value) => value === 'true');
const secret = z.string().min(SECRET_LENGTH_MIN, `secrets must be at least ${SECRET_LENGTH_MIN} characters`);

/** What every entry point that opens the database reads: the service, the CLI, the migrate command. */
const databaseSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_READ_URL: postgresUrl.optional(),
  DATA_DIR: z.string().min(1).default('./.data'),
  NODE_ENV: z.string().optional(),
  MIGRATE_ON_START: flag.optional(),
});

const envSchema = databaseSchema.extend({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8080),
  MANAGER_PORT: port.default(8093),
  WALLET_SECRETS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(secret).min(1))
    .optional(),
  WALLET_SIGNATURE_MODE: z.enum(['v2', 'legacy', 'either']).default('either'),
  OPERATOR_API_KEY: secret.optional(),
  ADMIN_API_KEY: secret.optional(),
  MANAGER_SYNC_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(5000),
  ACCOUNT_LOCK_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(ACCOUNT_LOCK_TIMEOUT_MS_DEFAULT),
  WALLET_TOKEN_TTL_S: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 86400)
    .default(WALLET_TOKEN_TTL_S_DEFAULT),
  MONEY_LANES: z.coerce.number().int().min(1).max(MONEY_LANES_MAX).default(MONEY_BATCHING_DEFAULT.lanes),
  MONEY_BATCH_SIZE_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(MONEY_BATCH_SIZE_LIMIT)
    .default(MONEY_BATCHING_DEFAULT.batchSizeMax),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MANAGER_TLS_CERT_FILE: z.string().min(1).optional(),
  MANAGER_TLS_KEY_FILE: z.string().min(1).optional(),
  MANAGER_PLAINTEXT_ALLOWED: flag.default(false),
  TRUST_PROXY: z.string().max(1000).optional(),
});

export interface GeneratedSecrets {
  walletSecrets: string[];
  operatorApiKey: string;
  adminApiKey: string;
}

/**
 * Reads the configuration. Missing secrets are read from `DATA_DIR/secrets.json`, or generated
 * (`generatedSecrets`, saved by `saveGeneratedSecrets` once the service has started, so that a
 * start-up that fails gives no secret out); in production they are an error.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const vars = parseEnv(envSchema, env);
  const database = databaseSettingsOf(vars);
  const { production, dataDir } = database;

  const missing = [
    !vars.WALLET_SECRETS && 'WALLET_SECRETS',
    !vars.OPERATOR_API_KEY && 'OPERATOR_API_KEY',
    !vars.ADMIN_API_KEY && 'ADMIN_API_KEY',
  ].filter(Boolean);
  if (production && missing.length > 0) {
    throw new ConfigError(`NODE_ENV=production requires ${missing.join(', ')}`);
  }
  const managerTls = readManagerTls(vars.MANAGER_TLS_CERT_FILE, vars.MANAGER_TLS_KEY_FILE);
  if (production && !managerTls && !vars.MANAGER_PLAINTEXT_ALLOWED) {
    throw new ConfigError(
      'NODE_ENV=production refuses a plain-text manager port (it carries passwords): set MANAGER_TLS_CERT_FILE and MANAGER_TLS_KEY_FILE, or MANAGER_PLAINTEXT_ALLOWED=true when a TLS proxy or a private network protects it',
    );
  }
  const saved = missing.length > 0 ? readSavedSecrets(dataDir) : undefined;
  const generatedSecrets = missing.length > 0 && !saved ? generateSecrets() : undefined;
  const generated = saved ?? generatedSecrets;
  const adminApiKey = vars.ADMIN_API_KEY ?? generated!.adminApiKey;
  const operatorApiKey = vars.OPERATOR_API_KEY ?? generated!.operatorApiKey;
  const walletSecrets = vars.WALLET_SECRETS ?? generated!.walletSecrets;
  checkAdminKeyIsItsOwn(adminApiKey, operatorApiKey, walletSecrets);

  return {
    ...database,
    host: vars.HOST,
    httpPort: vars.PORT,
    managerPort: vars.MANAGER_PORT,
    walletSecrets,
    walletSignatureMode: vars.WALLET_SIGNATURE_MODE,
    operatorApiKey,
    adminApiKey,
    managerSyncTimeoutMs: vars.MANAGER_SYNC_TIMEOUT_MS,
    accountLockTimeoutMs: vars.ACCOUNT_LOCK_TIMEOUT_MS,
    walletTokenTtlS: vars.WALLET_TOKEN_TTL_S,
    moneyBatching: { lanes: vars.MONEY_LANES, batchSizeMax: vars.MONEY_BATCH_SIZE_MAX },
    logLevel: vars.LOG_LEVEL,
    managerTls,
    trustProxy: readTrustProxy(vars.TRUST_PROXY),
    generatedSecrets,
  };
}

/**
 * The admin key opens the whole back office: it must be a secret of its own. Equal to the operator
 * key (held by the platform's lobby) or to a wallet secret (held by the trading platform), whoever
 * holds that one would hold the admin API too. Refused in every environment, since a generated
 * pair is never equal and an equal pair can only have been set so (by hand, or in secrets.json);
 * the message names the settings, never the keys.
 */
function checkAdminKeyIsItsOwn(adminApiKey: string, operatorApiKey: string, walletSecrets: readonly string[]): void {
  if (adminApiKey === operatorApiKey) {
    throw new ConfigError(
      'ADMIN_API_KEY equals OPERATOR_API_KEY: whoever holds the operator key would also hold the admin API; give the admin API a key of its own',
    );
  }
  if (walletSecrets.includes(adminApiKey)) {
    throw new ConfigError(
      'ADMIN_API_KEY equals one of WALLET_SECRETS: the trading platform would also hold the admin API; give the admin API a key of its own',
    );
  }
}

export interface DatabaseSettings {
  databaseUrl: string | undefined;
  databaseReadUrl: string | undefined;
  dataDir: string;
  production: boolean;
  /** Apply pending migrations at start: by default outside production only (a release migrates as a step of its own). */
  migrateOnStart: boolean;
}

/** The database part of the configuration, for the CLI and the migrate command as for the service. */
export function loadDatabaseSettings(env: NodeJS.ProcessEnv = process.env): DatabaseSettings {
  return databaseSettingsOf(parseEnv(databaseSchema, env));
}

function databaseSettingsOf(vars: z.output<typeof databaseSchema>): DatabaseSettings {
  const production = vars.NODE_ENV === 'production';
  return {
    databaseUrl: vars.DATABASE_URL,
    databaseReadUrl: vars.DATABASE_READ_URL,
    dataDir: path.resolve(vars.DATA_DIR),
    production,
    migrateOnStart: vars.MIGRATE_ON_START ?? !production,
  };
}

function parseEnv<Schema extends z.ZodType>(schema: Schema, env: NodeJS.ProcessEnv): z.output<Schema> {
  const parsed = schema.safeParse(stripEmpty(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/**
 * `false`/unset: no proxy; `true`: whatever sent the request (only behind a proxy that sets the
 * headers itself); a number: that many hops; else addresses or subnets (`loopback, 10.0.0.0/8`).
 */
function readTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const named = new Set(['loopback', 'linklocal', 'uniquelocal']);
  for (const part of value.split(',').map((item) => item.trim())) {
    const [address, bits] = part.split('/');
    const known = named.has(part) || (isIP(address ?? '') !== 0 && (bits === undefined || /^\d{1,3}$/.test(bits)));
    if (!known)
      throw new ConfigError(`TRUST_PROXY: ${part} is not an address, a subnet, loopback, linklocal or uniquelocal`);
  }
  return value;
}

function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function readManagerTls(certFile: string | undefined, keyFile: string | undefined): Config['managerTls'] {
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile)
    throw new ConfigError(
      'MANAGER_TLS_CERT_FILE and MANAGER_TLS_KEY_FILE go together: set both, or neither for plain TCP',
    );
  for (const [name, file] of [
    ['MANAGER_TLS_CERT_FILE', certFile],
    ['MANAGER_TLS_KEY_FILE', keyFile],
  ] as const) {
    if (!existsSync(file)) throw new ConfigError(`${name}: no file at ${path.resolve(file)}`);
  }
  return { certFile, keyFile };
}

/** Reads `.env` from the working directory when there is one; variables already set win. */
export function readDotEnv(): void {
  if (existsSync('.env')) process.loadEnvFile('.env');
}

/** Treats `VAR=` like an unset variable, as shells and `.env` files commonly produce it. */
function stripEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== '')) as Record<
    string,
    string
  >;
}

function secretsFile(dataDir: string): string {
  return path.join(dataDir, SECRETS_FILE);
}

function readSavedSecrets(dataDir: string): GeneratedSecrets | undefined {
  const file = secretsFile(dataDir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as GeneratedSecrets) : undefined;
}

function generateSecrets(): GeneratedSecrets {
  return {
    walletSecrets: [randomBytes(32).toString('hex')],
    operatorApiKey: randomBytes(24).toString('hex'),
    adminApiKey: randomBytes(24).toString('hex'),
  };
}

/** Keeps the secrets generated for this start in `DATA_DIR/secrets.json` (mode 600); returns the file. */
export function saveGeneratedSecrets(config: Config): string | undefined {
  if (!config.generatedSecrets) return undefined;
  const file = secretsFile(config.dataDir);
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(config.generatedSecrets, null, 2)}\n`, { mode: 0o600 });
  return file;
}
