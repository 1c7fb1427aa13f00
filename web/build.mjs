// build.mjs -- copies the pinned packages' browser files (package-lock.json)
// into www/vendor/, which Mosquitto's http_dir serves with the pages. Nothing
// is loaded from the internet at run time.
import { copyFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, 'www', 'vendor');
const files = [
  ['node_modules/mqtt/dist/mqtt.min.js', 'mqtt.min.js'],
  ['node_modules/chart.js/dist/chart.umd.min.js', 'chart.umd.min.js'],
];
mkdirSync(vendor, { recursive: true });
for (const [from, to] of files) {
  const src = join(here, from);
  if (!existsSync(src)) {
    console.error(`build: ${from} is missing; run 'npm ci' in web/ first`);
    process.exit(1);
  }
  copyFileSync(src, join(vendor, to));
}
console.log(`build: ${files.length} files in ${vendor}`);
