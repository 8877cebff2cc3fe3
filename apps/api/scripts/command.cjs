// How an API process is started, by `npm start`, `npm run api`, `npm run bench` and the tests that start a
// real API (CommonJS, so that the ESM scripts and the jest tests can both load it): the compiled entry
// (`build.mjs`) on bare node. Source maps are inline, so stack traces name the TypeScript sources.
//
// The V8 settings are the worker's (apps/worker/scripts/command.cjs explains them): a sync batch's rows live
// for one request, and without them V8 promotes them and lets the old generation grow to several times what
// is live (measured with `npm run bench`, 100 sync batches of 1,000 rows from 4 clients: the API's resident
// memory went from 225 to 420 MB and was still growing in the second half; with them, flat at ≈ 230 MB).
// glibc keeps its own mmap threshold here: with the worker's, every 64 KB read of an upload's socket would
// be a mapping of its own (uploads fell from ≈ 180 to ≈ 90 MB/s).
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../../..');

exports.API_BUILD = path.join(ROOT, 'apps/api/scripts/build.mjs');

exports.API_COMMAND = {
  command: process.execPath,
  args: ['--enable-source-maps', '--no-allocation-site-pretenuring', '--heap-growing-percent=35', path.join(ROOT, 'apps/api/dist/main.js')],
  env: { MALLOC_ARENA_MAX: '2' },
};
