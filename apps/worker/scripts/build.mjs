// Compiles the worker into one plain JavaScript file, apps/worker/dist/main.js, so that a worker runs on
// bare `node` (no TypeScript loader holding its transpiler and caches in every worker's memory).
// `node apps/worker/scripts/build.mjs` (≈ 50 ms); `npm start`, `npm run worker`, `npm run build`,
// `npm run bench` and the fault tests run it. Our own workspaces (`@importer/*`, TypeScript sources) are
// bundled in; every other package stays an ordinary `require` from node_modules. `dist/` is as deep in the
// tree as `packages/*/src`, so the sources' `__dirname`-relative paths (project root, migrations) still
// hold. Written beside the old file and renamed over it, so a worker starting meanwhile never loads half a
// file.
import { renameSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'dist/main.js');

/** Bare imports of other packages are left to node_modules; relative ones and `@importer/*` are bundled. */
const externalPackages = {
  name: 'external-packages',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@importer/') ? undefined : { external: true }));
  },
};

const staging = `${OUT}.${process.pid}.tmp`;
try {
  await build({
    entryPoints: [path.join(ROOT, 'src/main.ts')],
    outfile: staging,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    logLevel: 'warning',
    plugins: [externalPackages],
  });
  renameSync(staging, OUT);
} catch (error) {
  console.error(`[worker] build failed: ${error?.message ?? error}`);
  process.exit(1);
}
