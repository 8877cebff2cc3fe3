// Compiles the API into plain JavaScript, apps/api/dist/main.js, so that the API runs on bare `node` (no
// TypeScript loader transpiling and caching in the process that answers requests), as the worker does
// (apps/worker/scripts/build.mjs), and beside it the readers' threads (scripts/reader-threads.mjs), which the
// inspect route's readers start. `node apps/api/scripts/build.mjs` (≈ 100 ms); `npm start`, `npm run api`,
// `npm run bench` and the tests that start a real API process run it. Our own workspaces (`@importer/*`,
// TypeScript sources) are bundled in; every other package stays an ordinary `require` from node_modules, so
// Swagger UI's and Bull Board's assets resolve from their packages. `dist/` is as deep in the tree as
// `packages/*/src` and `apps/api/src`, so `__dirname`-relative paths (project root, migrations, the admin
// UI's `apps/admin/dist`) still hold. Written beside and renamed over the old files (the threads' scripts
// first), so an API starting meanwhile never loads half a file.
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
  console.error(`[api] build failed: ${error?.message ?? error}`);
  process.exit(1);
}
