/** The benchmark's table and its targets (docs/benchmark.md), met or not. */
import type { ImporterRun } from './importer';
import type { ExpectedTotals } from './files';
import type { LineageSize } from './lineage';
import type { ReferenceRun } from './reference';
import type { SyncRun } from './sync';

interface ImporterMeasure {
  run: ImporterRun;
  peakMb: number;
}

export interface DryRunMeasure {
  seconds: number;
  totals: ExpectedTotals;
  expected: ExpectedTotals;
  untouched: boolean;
}

export interface Measured {
  csvRows: number;
  xlsxRows: number;
  reference: {
    first?: ReferenceRun;
    again?: ReferenceRun;
    /** Every row changed (update-heavy), and both cases again writing the lineage as Importer does. */
    renamed?: ReferenceRun;
    firstLineage?: ReferenceRun;
    renamedLineage?: ReferenceRun;
  };
  importer: { first?: ImporterMeasure; again?: ImporterMeasure; xlsx?: ImporterMeasure; renamed?: ImporterMeasure };
  lineage?: LineageSize;
  statements: Map<number, number[]>;
  chunkSize?: number;
  dryRun?: DryRunMeasure;
  sync?: SyncRun;
}

const int = (n: number) => Math.round(n).toLocaleString('en');
const pad = (text: string, width: number, right = false) => (right ? text.padStart(width) : text.padEnd(width));

export function printReport(m: Measured, machine: { load: number[]; cpus: number }): void {
  const rows: string[][] = [['case', 'rows', 'seconds', 'rows/s', 'reference rows/s', 'ratio', 'worker peak RSS']];
  const line = (label: string, n: number, importer?: ImporterMeasure, reference?: ReferenceRun) => {
    const rate = importer ? n / importer.run.seconds : NaN;
    const refRate = reference ? n / reference.seconds : NaN;
    rows.push([
      label,
      int(n),
      importer ? importer.run.seconds.toFixed(1) : '-',
      importer ? int(rate) : '-',
      reference ? int(refRate) : '-',
      reference && importer ? `${(rate / refRate).toFixed(2)}×` : '-',
      importer ? `${importer.peakMb.toFixed(0)} MB` : '-',
    ]);
  };
  line('reference: COPY + INSERT … ON CONFLICT, first', m.csvRows, undefined, m.reference.first);
  line('reference: identical re-import (IS DISTINCT FROM)', m.csvRows, undefined, m.reference.again);
  line('Importer CSV first import (API → queue → worker)', m.csvRows, m.importer.first, m.reference.first);
  line('Importer CSV identical re-import', m.csvRows, m.importer.again, m.reference.again);
  line('Importer CSV update-heavy import (every row changed)', m.csvRows, m.importer.renamed, m.reference.renamed);
  line('Importer XLSX first import', m.xlsxRows, m.importer.xlsx);
  const { sync } = m;
  if (sync) {
    const refRate = m.reference.first ? m.csvRows / m.reference.first.seconds : NaN;
    rows.push([
      `Importer sync, ${int(sync.batches)} batches × ${int(sync.rows / sync.batches)} rows, ${sync.clients} clients`,
      int(sync.rows),
      sync.seconds.toFixed(1),
      int(sync.rows / sync.seconds),
      int(refRate),
      `${(sync.rows / sync.seconds / refRate).toFixed(2)}×`,
      `${sync.worker.peakMb.toFixed(0)} MB`,
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log('');
  for (const [i, r] of rows.entries()) {
    console.log(r.map((cell, c) => pad(cell, widths[c]!, c > 0)).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  const upload = (x?: ImporterMeasure) => (x ? `${x.run.uploadSeconds.toFixed(1)} s` : '-');
  console.log(
    `\nupload over HTTP (included above): CSV ${upload(m.importer.first)} / ${upload(m.importer.again)}, XLSX ${upload(m.importer.xlsx)}`,
  );
  if (m.chunkSize) console.log(`worker CHUNK_SIZE: ${int(m.chunkSize)}`);
  if (sync) {
    console.log(
      `sync: batch latency p50 ${sync.p50Ms.toFixed(0)} ms, p99 ${sync.p99Ms.toFixed(0)} ms; ${JSON.stringify(sync.totals)}; ` +
        `API RSS ${sync.api.beforeMb.toFixed(0)} MB before, ${sync.api.warmMb.toFixed(0)} MB over the first half of the batches, ` +
        `${sync.api.laterMb.toFixed(0)} MB over the second (peak ${sync.api.peakMb.toFixed(0)} MB), ${sync.api.afterMb.toFixed(0)} MB after; ` +
        `worker ${sync.worker.beforeMb.toFixed(0)} MB before, peak ${sync.worker.peakMb.toFixed(0)} MB (it takes no part)`,
    );
  }
  const cost = (plain?: ReferenceRun, withLineage?: ReferenceRun) =>
    plain && withLineage ? `${((withLineage.seconds / plain.seconds - 1) * 100).toFixed(0)} %` : '-';
  console.log(
    `lineage (docs/write-semantics.md): ${int(m.lineage?.rows.first ?? NaN)} rows for the first import, ${int(m.lineage?.rows.renamed ?? NaN)} for the update-heavy one ` +
      `(${m.lineage?.tableMb.toFixed(0) ?? '-'} MB); its cost on the reference: +${cost(m.reference.first, m.reference.firstLineage)} first, ` +
      `+${cost(m.reference.renamed, m.reference.renamedLineage)} update-heavy (both Importer lines above include it)`,
  );
  const statementLines = [...m.statements].map(([size, chunks]) => {
    const shown = chunks.length > 8 ? `${chunks.slice(0, 8).join(', ')}, …` : chunks.join(', ');
    return `${int(size)} rows/chunk → ${chunks.length} chunks [${shown}], max ${Math.max(...chunks)}`;
  });
  console.log(`SQL statements per chunk: ${statementLines.join('; ')}`);
  if (m.dryRun) {
    const exact = JSON.stringify(m.dryRun.totals) === JSON.stringify(m.dryRun.expected);
    console.log(
      `dry run of a changed ${int(m.csvRows)}-row file: ${m.dryRun.seconds.toFixed(1)} s, reported ${JSON.stringify(m.dryRun.totals)} ` +
        `(${exact ? 'exactly as expected' : `EXPECTED ${JSON.stringify(m.dryRun.expected)}`}), companies table ${m.dryRun.untouched ? 'unchanged (same checksum)' : 'CHANGED'}`,
    );
  }

  const ratio = (x?: ImporterMeasure, r?: ReferenceRun, n = m.csvRows) => (x && r ? n / x.run.seconds / (n / r.seconds) : NaN);
  const maxima = [...m.statements.values()].map((chunks) => Math.max(...chunks));
  const steady = [...m.statements.values()].map((chunks) => Math.max(...chunks.slice(1)));
  const targets: [string, boolean, string][] = [
    [
      'CSV first import ≥ 0.9× its reference',
      ratio(m.importer.first, m.reference.first) >= 0.9,
      `${ratio(m.importer.first, m.reference.first).toFixed(2)}×`,
    ],
    [
      'CSV identical re-import ≥ 0.9× its reference',
      ratio(m.importer.again, m.reference.again) >= 0.9,
      `${ratio(m.importer.again, m.reference.again).toFixed(2)}×`,
    ],
    [
      'worker peak RSS ≤ 200 MB for the CSV',
      Math.max(m.importer.first?.peakMb ?? Infinity, m.importer.again?.peakMb ?? Infinity) <= 200,
      `${Math.max(m.importer.first?.peakMb ?? NaN, m.importer.again?.peakMb ?? NaN).toFixed(0)} MB`,
    ],
    [
      'XLSX ≥ 25,000 rows/s',
      m.importer.xlsx ? m.xlsxRows / m.importer.xlsx.run.seconds >= 25_000 : false,
      m.importer.xlsx ? `${int(m.xlsxRows / m.importer.xlsx.run.seconds)} rows/s` : '-',
    ],
    ['XLSX worker peak RSS ≤ 256 MB', (m.importer.xlsx?.peakMb ?? Infinity) <= 256, `${m.importer.xlsx?.peakMb.toFixed(0) ?? '-'} MB`],
    [
      'statements per chunk ≤ 5 and independent of the chunk size',
      maxima.every((n) => n <= 5) && new Set(steady).size === 1,
      `max ${maxima.join(' / ')}, after the first chunk ${steady.join(' / ')}`,
    ],
  ];
  if (sync) {
    targets.push(
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
  if (m.dryRun) {
    const exact = JSON.stringify(m.dryRun.totals) === JSON.stringify(m.dryRun.expected);
    targets.push([
      'dry run at full size: exact report, no write to the table',
      exact && m.dryRun.untouched,
      exact && m.dryRun.untouched ? 'yes' : 'no',
    ]);
  }
  console.log('\nTargets (docs/benchmark.md):');
  for (const [label, met, value] of targets) console.log(`  ${met ? 'met    ' : 'NOT met'}  ${label}: ${value}`);
  console.log(`\nmachine: ${machine.cpus} CPUs, load average ${machine.load.map((x) => x.toFixed(2)).join(' ')} (1, 5, 15 min) at the end`);
}
