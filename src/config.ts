import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** Configuration of one service instance, read from the environment (see `.env.example`). */
export interface Config {
  databaseUrl: string | undefined;
  databaseReadUrl: string | undefined;
  dataDir: string;
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
  logLevel: string;
  production: boolean;
}

export type WalletSignatureMode = 'v2' | 'legacy' | 'either';

const SECRET_LENGTH_MIN = 16;
export const ACCOUNT_LOCK_TIMEOUT_MS_DEFAULT = 2000;
export const WALLET_TOKEN_TTL_S_DEFAULT = 86_400;
const SECRETS_FILE = 'secrets.json';

const port = z.coerce.number().int().min(0).max(65535);
const secret = z.string().min(SECRET_LENGTH_MIN, `secrets must be at least ${SECRET_LENGTH_MIN} characters`);

const envSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  DATABASE_READ_URL: z.string().min(1).optional(),
  DATA_DIR: z.string().min(1).default('./.data'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8080),
  MANAGER_PORT: port.default(8093),
  WALLET_SECRETS: z
    .string()
    .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean))
    .pipe(z.array(secret).min(1))
    .optional(),
  WALLET_SIGNATURE_MODE: z.enum(['v2', 'legacy', 'either']).default('either'),
  OPERATOR_API_KEY: secret.optional(),
  ADMIN_API_KEY: secret.optional(),
  MANAGER_SYNC_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(5000),
  ACCOUNT_LOCK_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(ACCOUNT_LOCK_TIMEOUT_MS_DEFAULT),
  WALLET_TOKEN_TTL_S: z.coerce.number().int().min(1).max(30 * 86400).default(WALLET_TOKEN_TTL_S_DEFAULT),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().optional(),
});

type GeneratedSecrets = { walletSecrets: string[]; operatorApiKey: string; adminApiKey: string };

export class ConfigError extends Error {}

/**
 * Reads the configuration. Missing secrets are generated on first start and kept in
 * `DATA_DIR/secrets.json` (printed once through `onGenerated`); in production they are an error.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  onGenerated: (secrets: GeneratedSecrets, file: string) => void = () => undefined,
): Config {
  const parsed = envSchema.safeParse(stripEmpty(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const vars = parsed.data;
  const production = vars.NODE_ENV === 'production';
  const dataDir = path.resolve(vars.DATA_DIR);

  const missing = [
    !vars.WALLET_SECRETS && 'WALLET_SECRETS',
    !vars.OPERATOR_API_KEY && 'OPERATOR_API_KEY',
    !vars.ADMIN_API_KEY && 'ADMIN_API_KEY',
  ].filter(Boolean);
  if (production && missing.length > 0) {
    throw new ConfigError(`NODE_ENV=production requires ${missing.join(', ')}`);
  }
  const generated = missing.length > 0 ? loadOrGenerateSecrets(dataDir, onGenerated) : undefined;

  return {
    databaseUrl: vars.DATABASE_URL,
    databaseReadUrl: vars.DATABASE_READ_URL,
    dataDir,
    host: vars.HOST,
    httpPort: vars.PORT,
    managerPort: vars.MANAGER_PORT,
    walletSecrets: vars.WALLET_SECRETS ?? generated!.walletSecrets,
    walletSignatureMode: vars.WALLET_SIGNATURE_MODE,
    operatorApiKey: vars.OPERATOR_API_KEY ?? generated!.operatorApiKey,
    adminApiKey: vars.ADMIN_API_KEY ?? generated!.adminApiKey,
    managerSyncTimeoutMs: vars.MANAGER_SYNC_TIMEOUT_MS,
    accountLockTimeoutMs: vars.ACCOUNT_LOCK_TIMEOUT_MS,
    walletTokenTtlS: vars.WALLET_TOKEN_TTL_S,
    logLevel: vars.LOG_LEVEL,
    production,
  };
}

/** Treats `VAR=` like an unset variable, as shells and `.env` files commonly produce it. */
function stripEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== '')) as Record<
    string,
    string
  >;
}

function loadOrGenerateSecrets(
  dataDir: string,
  onGenerated: (secrets: GeneratedSecrets, file: string) => void,
): GeneratedSecrets {
  const file = path.join(dataDir, SECRETS_FILE);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as GeneratedSecrets;
  const secrets: GeneratedSecrets = {
    walletSecrets: [randomBytes(32).toString('hex')],
    operatorApiKey: randomBytes(24).toString('hex'),
    adminApiKey: randomBytes(24).toString('hex'),
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  onGenerated(secrets, file);
  return secrets;
}
