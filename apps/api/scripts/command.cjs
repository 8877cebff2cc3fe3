// How an API process is started, by `npm start`, `npm run api`, `npm run bench` and the tests that start a
// real API (CommonJS, so that the ESM scripts and the jest tests can both load it): the compiled entry
// (`build.mjs`) on bare node. Source maps are inline, so stack traces name the TypeScript sources.
//
// The V8 settings are close to the worker's (apps/worker/scripts/command.cjs explains them): a sync batch's
// rows live for one request, and without them V8 promotes them and lets the old generation grow to several
// times what is live (measured with `npm run bench`, 100 sync batches of 1,000 rows from 4 clients: the API's
// resident memory went from 225 to 420 MB and was still growing in the second half; with them, flat at
// ≈ 230 MB). The old generation may grow by as much as is live (100 %), not the worker's third: each 64 KB
// read of an upload's body is an ArrayBuffer of its own (node's HTTP parser copies it), external memory that
// only a scavenge frees, and that weighs in V8's decision to start a full collection. With a third of a
// ≈ 50 MB heap, uploads kept starting full mark-compacts of the whole heap (`--trace-gc`: 2–5 per 200 MB
// upload, ≈ 1.5 CPU s per GB on V8's marking threads and the main thread); with 100 %, none (the API's CPU
// per GB uploaded 3.5–4.5 → 2.0–3.0 s). The sync's memory stays flat, 25–70 MB higher (`npm run bench`'s
// sync, 100 batches: 208 → 210 MB with a third, 263 → 283 MB with 100 %).
// glibc keeps its own mmap threshold here: with the worker's, every 64 KB read of an upload's socket would
// be a mapping of its own (uploads fell from ≈ 180 to ≈ 90 MB/s).
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../../..');

exports.API_BUILD = path.join(ROOT, 'apps/api/scripts/build.mjs');

exports.API_COMMAND = {
  command: process.execPath,
  args: [
    '--enable-source-maps',
    '--no-allocation-site-pretenuring',
    '--heap-growing-percent=100',
    path.join(ROOT, 'apps/api/dist/main.js'),
  ],
  env: { MALLOC_ARENA_MAX: '2' },
};
