/**
 * `npm start` / `node dist/main.js`: runs one service instance. With DATABASE_URL unset it starts
 * the embedded PostgreSQL under DATA_DIR first; missing secrets are generated there and printed
 * once the service is up. A start-up that fails says why in one line and exits 1.
 */
import { loadConfig, readDotEnv, saveGeneratedSecrets, type Config } from './config';
import { createLogger } from './observability/logger';
import { startService, type RunningService } from './app/service';
import { describeStartupFailure, type StartupContext } from './shared/startup-errors';
import { openDatabase } from './db/database-target';

/** Filled as start-up goes, so that a failure can name the setting behind it. */
const startup: StartupContext = {};

async function main(): Promise<void> {
  readDotEnv();
  const config = loadConfig(process.env);
  startup.httpPort = config.httpPort;
  startup.managerPort = config.managerPort;
  const logger = createLogger(config.logLevel);

  if (!config.databaseUrl)
    logger.info({ dataDir: config.dataDir }, 'DATABASE_URL is unset: starting the embedded PostgreSQL');
  const database = await openDatabase(config, (line) => logger.debug({ postgres: line }));
  startup.database = database.describe;

  let service: RunningService;
  try {
    service = await startService(config, database.url, logger);
  } catch (error) {
    await database.stop();
    throw error;
  }
  // before saying where it listens: a supervisor may send SIGTERM as soon as it reads that, and
  // a signal with no handler yet would end the process at once, with nothing drained
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing in-flight work');
    await service.stop();
    await database.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  printGeneratedSecrets(config);
  const embeddedUrl = database.embedded ? maskPassword(database.url) : undefined;
  if (config.production) {
    // production output goes to a log collector: the banner is a log line like every other
    logger.info(
      {
        http: `http://${config.host}:${service.httpPort}`,
        manager: `${config.host}:${service.managerPort}`,
        managerTls: Boolean(config.managerTls),
        ...(embeddedUrl ? { embeddedPostgres: embeddedUrl } : {}),
      },
      'listening',
    );
  } else {
    printWelcome(config, service.httpPort, service.managerPort, embeddedUrl);
  }
}

/** Only now, with the service up, are generated secrets kept and shown: a failed start gives none out. */
function printGeneratedSecrets(config: Config): void {
  const file = saveGeneratedSecrets(config);
  if (!file || !config.generatedSecrets) return;
  const secrets = config.generatedSecrets;
  console.log(`Generated secrets (kept in ${file}, shown only this once):`);
  console.log(`  WALLET_SECRETS=${secrets.walletSecrets.join(',')}`);
  console.log(`  OPERATOR_API_KEY=${secrets.operatorApiKey}`);
  console.log(`  ADMIN_API_KEY=${secrets.adminApiKey}`);
}

/** The development banner, for a person at a terminal (production logs a `listening` line instead). */
function printWelcome(config: Config, httpPort: number, managerPort: number, embeddedUrl: string | undefined): void {
  const base = `http://${config.host}:${httpPort}`;
  console.log(`Wallet service listening on ${base}`);
  console.log(
    `Manager TCP API listening on ${config.host}:${managerPort} (${config.managerTls ? 'TLS' : 'plain TCP'})`,
  );
  console.log(`  health:   curl ${base}/healthz`);
  console.log(`  API docs: ${base}/docs  (OpenAPI: ${base}/openapi.json, manager protocol: ${base}/asyncapi.json)`);
  console.log(`  walkthrough: npm run demo`);
  if (embeddedUrl) console.log(`  embedded PostgreSQL: ${embeddedUrl}`);
}

function maskPassword(url: string): string {
  return url.replace(/:[^:@/]+@/, ':***@');
}

main().catch((error: unknown) => {
  console.error(describeStartupFailure(error, startup) ?? error);
  process.exit(1);
});
