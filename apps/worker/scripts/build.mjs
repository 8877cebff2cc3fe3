// Compiles the worker into plain JavaScript, apps/worker/dist/main.js (scripts/compile-app.mjs), so that a
// worker runs on bare `node` (no TypeScript loader holding its transpiler and caches in every worker's
// memory), and beside it the scripts of the readers' threads (packages/imports/src/readers/reader-thread.ts
// starts them from the directory of the code running): dist/xls-thread.js reads a legacy XLS under a heap
// limit, dist/xlsx-thread.js parses an XLSX's shared strings and sheet while the main thread writes.
// `node apps/worker/scripts/build.mjs` (≈ 50 ms); `npm start`, `npm run worker`, `npm run build`,
// `npm run bench` and the fault tests run it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileApp } from '../../../scripts/compile-app.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const READERS = path.join(ROOT, '../../packages/imports/src/readers');

// The threads' scripts first: `main` is renamed into place last.
await compileApp('worker', ROOT, {
  'xls-thread': path.join(READERS, 'xls-thread.ts'),
  'xlsx-thread': path.join(READERS, 'xlsx-thread.ts'),
  main: path.join(ROOT, 'src/main.ts'),
});
