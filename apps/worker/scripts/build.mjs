// Compiles the worker into plain JavaScript, apps/worker/dist/main.js, so that a worker runs on bare `node`
// (no TypeScript loader holding its transpiler and caches in every worker's memory), and beside it the
// scripts of the readers' threads (scripts/reader-threads.mjs).
// `node apps/worker/scripts/build.mjs` (≈ 50 ms); `npm start`, `npm run worker`, `npm run build`,
// `npm run bench` and the fault tests run it. Our own workspaces (`@importer/*`, TypeScript sources) are
// bundled in; every other package stays an ordinary `require` from node_modules. `dist/` is as deep in the
// tree as `packages/*/src`, so the sources' `__dirname`-relative paths (project root, migrations) still
// hold. Written into a staging folder and renamed over the old files (the threads' scripts first), so a
// worker starting meanwhile never loads half a file.
import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { READER_THREADS } from '../../../scripts/reader-threads.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'dist');
const ENTRIES = { ...READER_THREADS, main: path.join(ROOT, 'src/main.ts') };

/** Bare imports of other packages are left to node_modules; relative ones and `@importer/*` are bundled. */
const externalPackages = {
  name: 'external-packages',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@importer/') ? undefined : { external: true }));
  },
};

const staging = path.join(OUT, `.staging-${process.pid}`);
try {
  await build({
    entryPoints: ENTRIES,
    outdir: staging,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    logLevel: 'warning',
    plugins: [externalPackages],
  });
  for (const name of Object.keys(ENTRIES)) renameSync(path.join(staging, `${name}.js`), path.join(OUT, `${name}.js`));
  rmSync(staging, { recursive: true });
} catch (error) {
  console.error(`[worker] build failed: ${error?.message ?? error}`);
  process.exit(1);
}
