/**
 * `npm run ha-cluster`: starts the HA topology of deploy/ha (etcd, three PostgreSQL 15 nodes under
 * Patroni, HAProxy) on loopback ports and prints its URLs, until Ctrl-C: for trying the service on
 * it (`DATABASE_URL=<write url> npm start`) or measuring it (`DATABASE_URL=<write url> npm run bench`).
 */
import { PackagesUnavailableError } from './lib/debian-packages';
import { HaCluster } from './lib/ha/ha-cluster';

async function main(): Promise<void> {
  const cluster = new HaCluster((line) => process.stderr.write(`${line}\n`));
  const stop = () => void cluster.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await cluster.start();
  console.log(`HA cluster ready: ${JSON.stringify(await cluster.members())}`);
  console.log(`  write (DATABASE_URL):     ${cluster.url}`);
  console.log(`  read (DATABASE_READ_URL): ${cluster.readUrl}`);
  console.log('Ctrl-C stops it and removes its files.');
}

main().catch((error: unknown) => {
  console.error(error instanceof PackagesUnavailableError ? error.message : error);
  process.exit(error instanceof PackagesUnavailableError ? 3 : 2);
});
