/** knex CLI configuration (`npx tsx node_modules/knex/bin/cli.js migrate:status`). */
import path from 'node:path';

export default {
  client: 'pg',
  connection: process.env.DATABASE_URL,
  migrations: { directory: path.join(__dirname, 'migrations'), loadExtensions: ['.ts'] },
};
