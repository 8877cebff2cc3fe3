// Compiles the API into plain JavaScript, apps/api/dist/main.js, and beside it the readers' threads, which
// the inspect route's readers start (scripts/compile-app.mjs), so that the API runs on bare `node` (no
// TypeScript loader transpiling and caching in the process that answers requests), as the worker does.
// `node apps/api/scripts/build.mjs` (≈ 100 ms); `npm start`, `npm run api`, `npm run bench` and the tests
// that start a real API process run it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileApp, READER_THREADS } from '../../../scripts/compile-app.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The threads' scripts first: `main` is renamed into place last.
await compileApp('api', ROOT, { ...READER_THREADS, main: path.join(ROOT, 'src/main.ts') });
