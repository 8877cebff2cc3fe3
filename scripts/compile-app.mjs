// Compiles an app's TypeScript entries into plain JavaScript in its `dist/` folder, one file per entry, so
// that it runs on bare `node` (apps/api/scripts/build.mjs, apps/worker/scripts/build.mjs). Our own workspaces
// (`@importer/*`, TypeScript sources) are bundled in; every other package stays an ordinary `require` from
// node_modules (so Swagger UI's and Bull Board's assets resolve from their packages). `dist/` is as deep in
// the tree as `packages/*/src` and `apps/*/src`, so the sources' `__dirname`-relative paths (project root,
// migrations, the admin UI) still hold. Written into a staging folder and renamed over the old files in the
// entries' order (threads' scripts before `main`), so a process starting meanwhile never loads half a file.
import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const READERS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../packages/imports/src/readers');

/**
 * The readers' worker threads, as entries (output name → source): `reader-thread.ts` starts them from the
 * directory of the code running, so every compiled app that reads files (the worker; the API, whose inspect
 * route reads a file's header row) has them beside its `main.js`. `xls-thread` reads a legacy XLS under a
 * heap limit; `xlsx-thread` parses an XLSX's shared strings and sheet while the main thread validates and
 * writes.
 */
export const READER_THREADS = Object.fromEntries(['xls-thread', 'xlsx-thread'].map((name) => [name, path.join(READERS, `${name}.ts`)]));

/** Bare imports of other packages are left to node_modules; relative ones and `@importer/*` are bundled. */
const externalPackages = {
  name: 'external-packages',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@importer/') ? undefined : { external: true }));
  },
};

/**
 * Builds `entries` (output name → source file) into `<appRoot>/dist`; on failure prints why, prefixed with
 * `name`, and exits 1.
 */
export async function compileApp(name, appRoot, entries) {
  const out = path.join(appRoot, 'dist');
  const staging = path.join(out, `.staging-${process.pid}`);
  try {
    await build({
      entryPoints: entries,
      outdir: staging,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: 'inline',
      logLevel: 'warning',
      plugins: [externalPackages],
    });
    for (const entry of Object.keys(entries)) renameSync(path.join(staging, `${entry}.js`), path.join(out, `${entry}.js`));
    rmSync(staging, { recursive: true });
  } catch (error) {
    console.error(`[${name}] build failed: ${error?.message ?? error}`);
    process.exit(1);
  }
}
