// How a worker process is started, by `npm start`, `npm run worker`, `npm run bench` and the fault tests
// alike (CommonJS, so that the ESM scripts and the jest tests can both load it): the compiled
// entry (`build.mjs`) on bare node, with the memory settings that keep one import of a million rows
// within ≈ 200 MB of resident memory at full speed (measured with `npm run bench`: 193–202 MB):
// - `--no-allocation-site-pretenuring`: V8 otherwise learns, from a chunk's rows that survive while the
//   database writes it, to allocate every parsed row straight into the old generation, which then fills
//   with garbage (2–3× the scavenging work and a heap of several hundred MB);
// - `--heap-growing-percent=35`: the old generation may grow by a third of what is live before it is
//   collected, instead of up to 4× (a worker's live set is small and bounded; collecting it is cheap);
// - `--max-semi-space-size=8`: a young generation of 2 × 8 MB instead of 2 × 16 MB: ≈ 15 MB less resident
//   memory, and a steadier peak (191–204 MB against 196–244 MB over the same 300,000-row imports). What
//   survives a scavenge here is the open chunk's encoded text, whatever the space's size (the reader's
//   records die within their read batch), so scavenges twice as frequent cost little: the worker's CPU
//   within the runs' noise (+3 % summed over 22 imports each way, alternated; ±15 % from run to run);
// - `--no-concurrent-recompilation`: hot functions are optimised on the main thread, one at a time; when an
//   import starts, everything turns hot at once and the background compile jobs' memory (≈ 30 MB) would
//   add to the resident peak (the main thread pays the compile time instead: no difference in the bench);
// - glibc's allocator: two arenas instead of one per thread, and blocks of 256 KB and more mapped and
//   returned on free rather than fragmenting the heap (a fixed threshold: glibc's own grows with the blocks
//   freed, up to 32 MB). Not lower: the file reader's and the socket's 64 KB buffers, one per read, and
//   zlib's 128 KB ones (an XLSX's sheet, packages/imports/src/readers/zip.ts), would each cost a mapping,
//   its page faults and its unmapping (at 32 KB: ≈ 1.4× the CPU, of the worker on a 300,000-row CSV, of the
//   whole import on a 100,000-row XLSX, for ≈ 20 MB less resident memory).
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../../..');

exports.WORKER_BUILD = path.join(ROOT, 'apps/worker/scripts/build.mjs');

exports.WORKER_COMMAND = {
  command: process.execPath,
  args: [
    '--enable-source-maps',
    '--no-allocation-site-pretenuring',
    '--heap-growing-percent=35',
    '--max-semi-space-size=8',
    '--no-concurrent-recompilation',
    path.join(ROOT, 'apps/worker/dist/main.js'),
  ],
  env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '262144' },
};
