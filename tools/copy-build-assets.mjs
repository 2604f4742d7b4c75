// `npm run build`, last step: what the compiled code reads from beside itself goes into dist/ too.
// The SQL files beside their features, where the migrator reads them (src/db/migrator.ts); the
// console's stylesheet and browser scripts (src/transports/console/assets/), which the console serves
// and inlines as they are (src/transports/console/console-assets.ts): tsc compiles neither.
import { cpSync } from 'node:fs';
import path from 'node:path';

const CONSOLE_ASSETS = path.join('src', 'transports', 'console', 'assets');

/** A folder (walked), a feature's SQL, or one of the console's .css and .js files. */
function copied(source) {
  if (!/\.[^/]*$/.test(source)) return true;
  if (source.endsWith('.sql')) return true;
  return path.dirname(source) === CONSOLE_ASSETS && /\.(css|js)$/.test(source);
}

cpSync('src', 'dist', { recursive: true, filter: copied });
