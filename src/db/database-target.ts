import type { DatabaseSettings } from '../config';
import { startEmbeddedPostgres } from './embedded-postgres';
import type { StartupContext } from '../shared/startup-errors';

const EMBEDDED_DATABASE_NAME = 'wallet';

export interface OpenDatabase {
  url: string;
  /** True when it is the embedded server. */
  embedded: boolean;
  /** How a failure names it: the setting an operator would fix. */
  describe: NonNullable<StartupContext['database']>;
  /** Stops the embedded server if this command started it. */
  stop(): Promise<void>;
}

/**
 * The database the service or a one-shot command (the CLI, the migrate command) works on:
 * DATABASE_URL, or the embedded server under DATA_DIR, started now or reused while another process
 * of ours runs it.
 */
export async function openDatabase(settings: DatabaseSettings, onLog?: (line: string) => void): Promise<OpenDatabase> {
  if (settings.databaseUrl) {
    return {
      url: settings.databaseUrl,
      embedded: false,
      describe: { url: settings.databaseUrl, setting: 'DATABASE_URL' },
      stop: async () => undefined,
    };
  }
  const server = await startEmbeddedPostgres({
    dataDir: settings.dataDir,
    database: EMBEDDED_DATABASE_NAME,
    ...(onLog ? { onLog } : {}),
  });
  return {
    url: server.url,
    embedded: true,
    describe: { url: server.url, setting: 'the embedded PostgreSQL under DATA_DIR' },
    stop: () => server.stop(),
  };
}
