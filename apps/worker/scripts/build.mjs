// Compiles the worker into plain JavaScript, apps/worker/dist/main.js, and beside it the readers' threads
// (scripts/compile-app.mjs), so that a worker runs on bare `node` (no TypeScript loader holding its
// transpiler and caches in every worker's memory). `node apps/worker/scripts/build.mjs` (≈ 50 ms);
// `npm start`, `npm run worker`, `npm run build`, `npm run bench` and the fault tests run it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileApp, READER_THREADS } from '../../../scripts/compile-app.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The threads' scripts first: `main` is renamed into place last.
await compileApp('worker', ROOT, { ...READER_THREADS, main: path.join(ROOT, 'src/main.ts') });
