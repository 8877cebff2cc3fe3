// Builds the admin UI into apps/admin/dist unless the build there was made from the same sources
// (a hash of src/, public/, index.html, the build's configuration and packages/contracts/src, kept in
// dist/.build-hash).
// `node apps/admin/scripts/build.mjs [--force]`; `npm start`, `npm run api` and the browser tests call it.
// The new build is written beside dist and swapped in, so a running API never serves a half-written one.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const HASH_FILE = '.build-hash';
// The workspace packages the UI bundles from source are inputs too.
const INPUTS = ['src', 'public', 'index.html', 'vite.config.mts', 'tsconfig.json', 'package.json', '../../packages/contracts/src'];

function* files(entry) {
  const full = path.join(ROOT, entry);
  if (!existsSync(full)) return;
  if (statSync(full).isDirectory()) {
    for (const child of readdirSync(full).sort()) yield* files(path.join(entry, child));
  } else {
    yield entry;
  }
}

function sourceHash() {
  const hash = createHash('sha256');
  for (const input of INPUTS) {
    for (const file of files(input))
      hash
        .update(file)
        .update('\0')
        .update(readFileSync(path.join(ROOT, file)))
        .update('\0');
  }
  return hash.digest('hex');
}

const builtHash = () => {
  const file = path.join(DIST, HASH_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
};

async function main() {
  const force = process.argv.includes('--force');
  const hash = sourceHash();
  if (!force && builtHash() === hash && existsSync(path.join(DIST, 'index.html'))) {
    console.log('[admin] UI build up to date');
    return;
  }
  console.log('[admin] building the UI (vite build)');
  const { build } = await import('vite');
  const staging = path.join(ROOT, `dist.building-${process.pid}`);
  try {
    await build({ root: ROOT, logLevel: 'warn', build: { outDir: staging, emptyOutDir: true } });
    writeFileSync(path.join(staging, HASH_FILE), `${hash}\n`);
    const old = path.join(ROOT, `dist.old-${process.pid}`);
    if (existsSync(DIST)) renameSync(DIST, old);
    renameSync(staging, DIST);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  console.log('[admin] UI built into apps/admin/dist');
}

main().catch((error) => {
  console.error(`[admin] build failed: ${error?.stack ?? error}`);
  process.exit(1);
});
