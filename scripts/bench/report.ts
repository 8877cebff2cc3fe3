/** The benchmark's tables and its targets (docs/benchmark.md), met or not. */
import type { ExpectedTotals } from './files';
import type { ImporterRun } from './importer';
import type { LineageSize } from './lineage';
import type { ChunkRows } from './processes';
import type { ReferenceRun } from './reference';
import type { SyncRun } from './sync';

export interface ImporterMeasure {
  run: ImporterRun;
  peakMb: number;
  /**
   * CPU time (user + system) used for the import, in seconds, by the worker, the API and PostgreSQL's backends
   * (`cpu.ts`): the machine's load does not move it as it moves wall time.
   */
  cpu: { worker: number; api: number; database: number };
  /** Rows per chunk, when the worker logs them at the end of the import. */
  chunkRows: ChunkRows | null;
}

export interface DryRunMeasure {
  seconds: number;
  totals: ExpectedTotals;
  expected: ExpectedTotals;
  untouched: boolean;
}

/** One CSV size: the linked reference (the real job), the reference without the link, Importer. */
export interface SizeMeasure {
  rows: number;
  reference: { first?: ReferenceRun; again?: ReferenceRun; unlinkedFirst?: ReferenceRun; unlinkedAgain?: ReferenceRun };
  importer: { first?: ImporterMeasure; again?: ImporterMeasure };
}

export interface Measured {
  /** Smallest first. */
  sizes: SizeMeasure[];
  /** What is measured at the largest CSV size only. */
  largest: {
    rows: number;
    /** Every row changed (update-heavy), and the first and update-heavy cases writing the lineage as Importer does. */
    reference: { renamed?: ReferenceRun; firstLineage?: ReferenceRun; renamedLineage?: ReferenceRun };
    renamed?: ImporterMeasure;
    lineage?: LineageSize;
    dryRun?: DryRunMeasure;
  };
  xlsxRows: number;
  xlsx?: ImporterMeasure;
  seedSeconds?: number;
  statements: Map<number, number[]>;
  chunkSize?: number;
  sync?: SyncRun;
}

const int = (n: number) => Math.round(n).toLocaleString('en');
const MB = 1024 * 1024;

/** Prints rows as columns: the first left-aligned, the others right-aligned; a rule under the header. */
function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]?.length ?? 0)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

const uploadMbPerSecond = (x: ImporterMeasure) => x.run.uploadBytes / MB / x.run.uploadSeconds;
/** Importer's speed over the reference's, on the same rows. */
const ratio = (x?: ImporterMeasure, r?: ReferenceRun) => (x && r ? r.seconds / x.run.seconds : NaN);
const times = (n: number) => (Number.isNaN(n) ? '-' : `${n.toFixed(2)}×`);
/** How much longer `more` took than `plain`, signed: `+27 %`, `-1 %`. */
const extra = (plain?: { seconds: number }, more?: { seconds: number }) => {
  if (!plain || !more) return '-';
  const percent = Math.round((more.seconds / plain.seconds - 1) * 100);
  return `${percent >= 0 ? '+' : ''}${percent} %`;
};
const totalCpu = (x: ImporterMeasure) => x.cpu.worker + x.cpu.api + x.cpu.database;
const chunkRowsText = (c: ChunkRows) =>
  `${int(c.chunks)} chunks of ${int(c.min)} / ${int(c.median)} / ${int(c.max)} rows (min / median / max)`;

export function printReport(m: Measured, machine: { load: number[]; cpus: number }): void {
  const header = ['case', 'rows', 'seconds', 'rows/s', 'ratio to the linked reference', 'CPU s', 'worker peak RSS', 'upload'];
  const rows: string[][] = [header];
  const line = (
    label: string,
    n: number,
    run?: { seconds: number; cpuSeconds?: number },
    importer?: ImporterMeasure,
    reference?: ReferenceRun,
  ) =>
    rows.push([
      label,
      int(n),
      run ? run.seconds.toFixed(1) : '-',
      run ? int(n / run.seconds) : '-',
      importer && reference ? times(ratio(importer, reference)) : '',
      importer ? totalCpu(importer).toFixed(1) : run?.cpuSeconds !== undefined ? run.cpuSeconds.toFixed(1) : '',
      importer ? `${importer.peakMb.toFixed(0)} MB` : '',
      importer ? `${int(uploadMbPerSecond(importer))} MB/s` : '',
    ]);
  for (const size of m.sizes) {
    const { reference: r, importer: x } = size;
    if (rows.length > 1) rows.push(header.map(() => ''));
    line('reference (linked): COPY + INSERT … SELECT … LEFT JOIN subcategories … ON CONFLICT, first', size.rows, r.first);
    line('reference (linked): identical re-import (IS DISTINCT FROM)', size.rows, r.again);
    line('reference without the link (no join, as the earlier benchmark), first', size.rows, r.unlinkedFirst);
    line('reference without the link, identical re-import', size.rows, r.unlinkedAgain);
    line('Importer CSV first import (API → queue → worker)', size.rows, x.first?.run, x.first, r.first);
    line('Importer CSV identical re-import', size.rows, x.again?.run, x.again, r.again);
  }
  const big = m.largest;
  rows.push(header.map(() => ''));
  line('reference: every row changed (update-heavy)', big.rows, big.reference.renamed);
  line('Importer CSV update-heavy import (every row changed)', big.rows, big.renamed?.run, big.renamed, big.reference.renamed);
  line('Importer XLSX first import', m.xlsxRows, m.xlsx?.run, m.xlsx);
  const { sync } = m;
  if (sync) {
    rows.push([
      `Importer sync, ${int(sync.batches)} batches × ${int(sync.rows / sync.batches)} rows, ${sync.clients} clients`,
      int(sync.rows),
      sync.seconds.toFixed(1),
      int(sync.rows / sync.seconds),
      '',
      '',
      `${sync.worker.peakMb.toFixed(0)} MB`,
      '',
    ]);
  }
  console.log('');
  printTable(rows);
  console.log(
    "\nCPU s: user + system seconds of the reference's PostgreSQL backend; of Importer's worker, API and PostgreSQL backends together",
  );

  for (const size of m.sizes) {
    const { reference: r, importer: x } = size;
    console.log(
      `${int(size.rows)} rows: Importer against the reference without the link: first ${times(ratio(x.first, r.unlinkedFirst))}, ` +
        `re-import ${times(ratio(x.again, r.unlinkedAgain))}; the link's cost on the reference: ` +
        `${extra(r.unlinkedFirst, r.first)} first, ${extra(r.unlinkedAgain, r.again)} re-import`,
    );
    const cpu = (label: string, x?: ImporterMeasure, reference?: ReferenceRun) =>
      x && reference
        ? `${label} ${x.cpu.worker.toFixed(1)} + ${x.cpu.api.toFixed(1)} + ${x.cpu.database.toFixed(1)} = ${totalCpu(x).toFixed(1)} s ` +
          `against the reference's ${reference.cpuSeconds.toFixed(1)} s (${times(reference.cpuSeconds / totalCpu(x))})`
        : `${label} -`;
    console.log(
      `${int(size.rows)} rows: CPU of Importer (worker + API + PostgreSQL): ${cpu('first', x.first, r.first)}; ${cpu('re-import', x.again, r.again)}`,
    );
  }
  const chunked: [string, ImporterMeasure | undefined][] = [
    ...m.sizes.flatMap((s): [string, ImporterMeasure | undefined][] => [
      [`${int(s.rows)} first`, s.importer.first],
      [`${int(s.rows)} re-import`, s.importer.again],
    ]),
    ['update-heavy', big.renamed],
    ['XLSX', m.xlsx],
  ];
  const logged = chunked.flatMap(([label, x]) => (x?.chunkRows ? [`${label}: ${chunkRowsText(x.chunkRows)}`] : []));
  if (logged.length > 0) console.log(`rows per chunk (the worker's log): ${logged.join('; ')}`);
  if (m.chunkSize) console.log(`worker CHUNK_SIZE: ${int(m.chunkSize)}`);
  if (m.seedSeconds !== undefined)
    console.log(`catalogue (21 categories, 704 subcategories) imported through the API in ${m.seedSeconds.toFixed(1)} s`);
  if (sync) {
    console.log(
      `sync: batch latency p50 ${sync.p50Ms.toFixed(0)} ms, p99 ${sync.p99Ms.toFixed(0)} ms; ${JSON.stringify(sync.totals)}; ` +
        `API RSS ${sync.api.beforeMb.toFixed(0)} MB before, ${sync.api.warmMb.toFixed(0)} MB over the first half of the batches, ` +
        `${sync.api.laterMb.toFixed(0)} MB over the second (peak ${sync.api.peakMb.toFixed(0)} MB), ${sync.api.afterMb.toFixed(0)} MB after; ` +
        `worker ${sync.worker.beforeMb.toFixed(0)} MB before, peak ${sync.worker.peakMb.toFixed(0)} MB (it takes no part)`,
    );
  }
  const firstReference = m.sizes.at(-1)?.reference.first;
  console.log(
    `lineage (docs/write-semantics.md): ${int(big.lineage?.rows.first ?? NaN)} rows for the first import, ${int(big.lineage?.rows.renamed ?? NaN)} for the update-heavy one ` +
      `(${big.lineage?.tableMb.toFixed(0) ?? '-'} MB); its cost on the reference: ${extra(firstReference, big.reference.firstLineage)} first, ` +
      `${extra(big.reference.renamed, big.reference.renamedLineage)} update-heavy (every Importer line includes it)`,
  );
  const statementLines = [...m.statements].map(([size, chunks]) => {
    const shown = chunks.length > 8 ? `${chunks.slice(0, 8).join(', ')}, …` : chunks.join(', ');
    return `${int(size)} rows/chunk → ${chunks.length} chunks [${shown}], max ${Math.max(...chunks)}`;
  });
  console.log(`SQL statements per chunk: ${statementLines.join('; ')}`);
  if (big.dryRun) {
    const exact = JSON.stringify(big.dryRun.totals) === JSON.stringify(big.dryRun.expected);
    console.log(
      `dry run of a changed ${int(big.rows)}-row file: ${big.dryRun.seconds.toFixed(1)} s, reported ${JSON.stringify(big.dryRun.totals)} ` +
        `(${exact ? 'exactly as expected' : `EXPECTED ${JSON.stringify(big.dryRun.expected)}`}), companies table ${big.dryRun.untouched ? 'unchanged (same checksum)' : 'CHANGED'}`,
    );
  }

  console.log('\nTargets (docs/benchmark.md):');
  for (const [label, met, value] of targets(m)) console.log(`  ${met ? 'met    ' : 'NOT met'}  ${label}: ${value}`);
  console.log(`\nmachine: ${machine.cpus} CPUs, load average ${machine.load.map((x) => x.toFixed(2)).join(' ')} (1, 5, 15 min) at the end`);
}

/** `at N rows`, and the size the target is set at when the run measured another. */
const atSize = (measured: number, target: number) =>
  measured === target ? `at ${int(target)} rows` : `at ${int(target)} rows (measured at ${int(measured)})`;

function targets(m: Measured): [string, boolean, string][] {
  const list: [string, boolean, string][] = [];
  for (const { rows, reference: r, importer: x } of m.sizes) {
    const first = ratio(x.first, r.first);
    const again = ratio(x.again, r.again);
    list.push(
      [`CSV first import ≥ 1.0× its linked reference, ${int(rows)} rows`, first >= 1, times(first)],
      [`CSV identical re-import ≥ 1.0× its linked reference, ${int(rows)} rows`, again >= 1, times(again)],
    );
  }
  const sizes = m.sizes.map((s) => s.rows);
  for (const wanted of [300_000, 1_000_000]) {
    if (!sizes.includes(wanted)) list.push([`CSV ratios at ${int(wanted)} rows`, false, `not measured (--csv-rows ${sizes.join(',')})`]);
  }
  // Memory at the largest size: the target is set at 1,000,000 rows.
  const largest = m.sizes.at(-1);
  const csvPeak = Math.max(largest?.importer.first?.peakMb ?? NaN, largest?.importer.again?.peakMb ?? NaN);
  list.push([`worker peak RSS ≤ 200 MB for the CSV ${atSize(largest?.rows ?? 0, 1_000_000)}`, csvPeak <= 200, `${csvPeak.toFixed(0)} MB`]);
  const uploads = m.sizes.flatMap((s) => [s.importer.first, s.importer.again]).filter((x): x is ImporterMeasure => x !== undefined);
  const uploadRate = uploads.reduce((sum, x) => sum + x.run.uploadBytes, 0) / MB / uploads.reduce((sum, x) => sum + x.run.uploadSeconds, 0);
  list.push([
    'upload ≥ 300 MB/s over loopback (every CSV upload: bytes / seconds until the 202)',
    uploadRate >= 300,
    `${int(uploadRate)} MB/s (slowest ${int(Math.min(...uploads.map(uploadMbPerSecond)))} MB/s)`,
  ]);
  const xlsxRate = m.xlsx ? m.xlsxRows / m.xlsx.run.seconds : NaN;
  list.push(
    [`XLSX ≥ 40,000 rows/s ${atSize(m.xlsxRows, 100_000)}`, xlsxRate >= 40_000, `${int(xlsxRate)} rows/s`],
    [
      `XLSX worker peak RSS ≤ 256 MB ${atSize(m.xlsxRows, 100_000)}`,
      (m.xlsx?.peakMb ?? Infinity) <= 256,
      `${m.xlsx?.peakMb.toFixed(0) ?? '-'} MB`,
    ],
  );
  const maxima = [...m.statements.values()].map((chunks) => Math.max(...chunks));
  // Chunks after the first, at the chunk sizes that made more than one.
  const steady = [...m.statements.values()].filter((chunks) => chunks.length > 1).map((chunks) => Math.max(...chunks.slice(1)));
  // The first chunk also looks the catalogue up (the look-up cache starts empty): constant means the same
  // counts whatever the chunk size.
  list.push([
    'statements per chunk constant (the same at both chunk sizes)',
    maxima.length > 1 && new Set(maxima).size === 1 && steady.length > 0 && new Set(steady).size === 1,
    `first chunk ${maxima.join(' / ')}, every later chunk at most ${steady.join(' / ')}`,
  ]);
  const { dryRun } = m.largest;
  if (dryRun) {
    const exact = JSON.stringify(dryRun.totals) === JSON.stringify(dryRun.expected);
    list.push([
      'dry run at full size: exact report, no write to the table',
      exact && dryRun.untouched,
      exact && dryRun.untouched ? 'yes' : 'no',
    ]);
  }
  const { sync } = m;
  if (sync) {
    list.push(
      [
        'sync: every row created, none failed',
        sync.totals.created === sync.rows && sync.totals.failed === 0,
        `${int(sync.totals.created)} created, ${int(sync.totals.failed)} failed`,
      ],
      [
        'sync: API memory flat (RSS over the second half of the batches ≤ over the first half + 64 MB)',
        sync.api.laterMb <= sync.api.warmMb + 64,
        `${sync.api.warmMb.toFixed(0)} → ${sync.api.laterMb.toFixed(0)} MB`,
      ],
      [
        'sync: worker memory flat (peak ≤ its RSS before + 16 MB)',
        sync.worker.peakMb <= sync.worker.beforeMb + 16,
        `${sync.worker.beforeMb.toFixed(0)} → peak ${sync.worker.peakMb.toFixed(0)} MB`,
      ],
    );
  }
  return list;
}
