/**
 * `npm start`: runs one service instance. With DATABASE_URL unset it starts the embedded
 * PostgreSQL under DATA_DIR first; missing secrets are generated there and printed once.
 */
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from './config';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './db/embedded-postgres';
import { createLogger } from './observability/logger';
import { startService, type RunningService } from './app/service';

const EMBEDDED_DATABASE_NAME = 'wallet';

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig(process.env, (secrets, file) => {
    console.log(`Generated secrets (kept in ${file}, shown only this once):`);
    console.log(`  WALLET_SECRETS=${secrets.walletSecrets.join(',')}`);
    console.log(`  OPERATOR_API_KEY=${secrets.operatorApiKey}`);
    console.log(`  ADMIN_API_KEY=${secrets.adminApiKey}`);
  });
  const logger = createLogger(config.logLevel);

  let embedded: EmbeddedPostgresHandle | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    logger.info({ dataDir: config.dataDir }, 'DATABASE_URL is unset: starting the embedded PostgreSQL');
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      database: EMBEDDED_DATABASE_NAME,
      onLog: (line) => logger.debug({ postgres: line }),
    });
    databaseUrl = embedded.url;
  }

  let service: RunningService;
  try {
    service = await startService(config, databaseUrl, logger);
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  printWelcome(config.host, service.httpPort, service.managerPort, embedded?.url);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing in-flight work');
    await service.stop();
    await embedded?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

function printWelcome(host: string, httpPort: number, managerPort: number, embeddedUrl: string | undefined): void {
  const base = `http://${host}:${httpPort}`;
  console.log(`Wallet service listening on ${base}`);
  console.log(`Manager TCP API listening on ${host}:${managerPort}`);
  console.log(`  health:   curl ${base}/healthz`);
  console.log(`  API docs: ${base}/docs  (OpenAPI: ${base}/openapi.json)`);
  console.log(`  walkthrough: npm run demo`);
  if (embeddedUrl) console.log(`  embedded PostgreSQL: ${embeddedUrl.replace(/:[^:@/]+@/, ':***@')}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
