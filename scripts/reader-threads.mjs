// The readers' worker threads (packages/imports/src/readers/reader-thread.ts starts them from the directory
// of the code running): every compiled app that reads files (the worker, the API's inspect route) builds
// them beside its main.js. dist/xls-thread.js reads a legacy XLS under a heap limit; dist/xlsx-thread.js
// parses an XLSX's shared strings and sheet, dist/csv-thread.js decodes and parses a CSV, both while the
// main thread validates and writes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const READERS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../packages/imports/src/readers');

/** esbuild entry points: output name → source. */
export const READER_THREADS = Object.fromEntries(
  ['csv-thread', 'xls-thread', 'xlsx-thread'].map((name) => [name, path.join(READERS, `${name}.ts`)]),
);
