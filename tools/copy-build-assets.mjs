// `npm run build`, last step: the SQL files beside their features go into dist/ beside the compiled
// code, where the migrator reads them (src/db/migrator.ts).
import { cpSync } from 'node:fs';

cpSync('src', 'dist', { recursive: true, filter: (source) => !/\.[^/]*$/.test(source) || source.endsWith('.sql') });
