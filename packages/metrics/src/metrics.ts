/**
 * Every Prometheus series Importer exposes, declared once (README, "Metrics"). `createMetrics()` gives a
 * process (or a test) a registry of its own with typed helpers; nothing here is a module-level global.
 * Counters count events as they happen in the process that serves them, never rows of tables the cleanup
 * shrinks: Prometheus sums them across processes.
 */
import type { ImportStatus } from '@importer/contracts';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { queueSnapshots, type QueueSnapshotOptions, type WatchedQueue } from './queue-gauges';

/** How a row ended (docs/write-semantics.md): the `outcome` label of `importer_rows_total`. */
export const ROW_OUTCOMES = ['created', 'updated', 'unchanged', 'skipped', 'failed'] as const;
type RowOutcome = (typeof ROW_OUTCOMES)[number];
export type RowCounts = Record<RowOutcome, number>;

/** The final statuses an import is counted under in `importer_imports_finished_total`. */
export type FinishedStatus = Extract<ImportStatus, 'completed' | 'completed_with_errors' | 'failed' | 'cancelled'>;

/** A time of the import record: a `Date` (the database's row) or an ISO string (the API's view); null when not yet. */
type Moment = Date | string | null;

/** The `status` of a sync answer (docs/api.md). */
export type SyncStatus = 'success' | 'partial_success' | 'failed';

/**
 * One attempt to deliver a webhook: `succeeded` (a 2xx), `failed` (any other answer, a timeout, a refused
 * address: retried while attempts remain), `disabled` (410 Gone disabled the endpoint).
 */
export type WebhookOutcome = 'succeeded' | 'failed' | 'disabled';

/** The `route` label of a request no route matched (so unknown paths cannot add series). */
export const UNMATCHED_ROUTE = 'unmatched';

/** Seconds: from a small file's few seconds to the default 30-minute time limit and past it. */
const IMPORT_BUCKETS = [1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600];
/** Seconds one chunk's commit takes (sized to take about CHUNK_TARGET_MS, 500 ms by default). */
const CHUNK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Rows of one chunk: adaptive between 100 and 20,000 by default (CHUNK_SIZE_MIN, CHUNK_SIZE_MAX). */
const CHUNK_ROWS_BUCKETS = [100, 250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000];
/** Seconds an HTTP request takes, uploads (streamed to disk) included. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface MetricsOptions {
  /** prom-client's process and Node.js series (CPU, memory, event loop lag, handles); default true. */
  defaultMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  const registers = [registry];
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const rows = new Counter({
    name: 'importer_rows_total',
    help: 'Rows of committed chunks, by profile and outcome: each row once, as its chunk committed it (dry runs not counted).',
    labelNames: ['profile', 'outcome'] as const,
    registers,
  });
  const importsFinished = new Counter({
    name: 'importer_imports_finished_total',
    help: 'Imports this process moved to a final status, by profile and status.',
    labelNames: ['profile', 'status'] as const,
    registers,
  });
  const importDuration = new Histogram({
    name: 'importer_import_duration_seconds',
    help: 'Seconds from an import’s start (its first claim) to its finish, by profile.',
    labelNames: ['profile'] as const,
    buckets: IMPORT_BUCKETS,
    registers,
  });
  const chunkDuration = new Histogram({
    name: 'importer_chunk_duration_seconds',
    help: 'Seconds a chunk’s commit took (its write, row errors, totals and checkpoint), by profile.',
    labelNames: ['profile'] as const,
    buckets: CHUNK_BUCKETS,
    registers,
  });
  const chunkRows = new Histogram({
    name: 'importer_chunk_rows',
    help: 'Rows of each committed chunk (their size is chosen to take CHUNK_TARGET_MS of database time), by profile.',
    labelNames: ['profile'] as const,
    buckets: CHUNK_ROWS_BUCKETS,
    registers,
  });
  const syncRequests = new Counter({
    name: 'importer_sync_requests_total',
    help: 'Answered sync batches (POST /api/v1/sync/:profile), by profile and answer status.',
    labelNames: ['profile', 'status'] as const,
    registers,
  });
  const webhookDeliveries = new Counter({
    name: 'importer_webhook_deliveries_total',
    help: 'Webhook delivery attempts, by outcome (succeeded, failed, disabled).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'importer_http_request_duration_seconds',
    help: `Seconds the API took to answer, by method, route pattern (${UNMATCHED_ROUTE} when no route matched) and status.`,
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers,
  });

  return {
    registry,

    /** The text exposition format: what `GET /metrics` answers. */
    async render(): Promise<{ contentType: string; body: string }> {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },

    /**
     * A chunk committed: its own rows by outcome, each row counted once, under the outcome its chunk
     * committed it with (nothing for a dry run, which writes no row), the seconds its commit took and its
     * size (its rows, all outcomes).
     */
    chunkCommitted(chunk: { profile: string; dryRun: boolean; rows: RowCounts; seconds: number }): void {
      chunkDuration.observe({ profile: chunk.profile }, chunk.seconds);
      chunkRows.observe(
        { profile: chunk.profile },
        ROW_OUTCOMES.reduce((sum, outcome) => sum + chunk.rows[outcome], 0),
      );
      if (chunk.dryRun) return;
      for (const outcome of ROW_OUTCOMES) {
        const count = chunk.rows[outcome];
        if (count > 0) rows.inc({ profile: chunk.profile, outcome }, count);
      }
    },

    /**
     * This process moved an import to a final status. Its duration, from its start (first claim) to its
     * finish as the import record holds them, is observed when it has both (a cancelled import may never
     * have started).
     */
    importFinished(finished: { profile: string; status: FinishedStatus; startedAt: Moment; finishedAt: Moment }): void {
      importsFinished.inc({ profile: finished.profile, status: finished.status });
      if (finished.startedAt === null || finished.finishedAt === null) return;
      const seconds = (new Date(finished.finishedAt).getTime() - new Date(finished.startedAt).getTime()) / 1000;
      if (Number.isFinite(seconds)) importDuration.observe({ profile: finished.profile }, Math.max(0, seconds));
    },

    /** A sync batch was answered with `status`. */
    syncRequest(profile: string, status: SyncStatus): void {
      syncRequests.inc({ profile, status });
    },

    /** A webhook delivery attempt ended. */
    webhookDelivery(outcome: WebhookOutcome): void {
      webhookDeliveries.inc({ outcome });
    },

    /** An HTTP request was answered; `route` is the matched route's pattern, never the raw path. */
    httpRequest(request: { method: string; route: string; status: number; seconds: number }): void {
      httpDuration.observe({ method: request.method, route: request.route, status: String(request.status) }, request.seconds);
    },

    /**
     * Adds `importer_queue_jobs{queue,state}` and `importer_queue_oldest_waiting_seconds{queue}`, read from
     * BullMQ when scraped (one snapshot per queue, shared by both series and by scrapes close together).
     */
    watchQueues(queues: readonly WatchedQueue[], snapshotOptions: QueueSnapshotOptions = {}): void {
      const snapshots = queueSnapshots(queues, snapshotOptions);
      new Gauge({
        name: 'importer_queue_jobs',
        help: 'Jobs in each BullMQ queue, by state, read when scraped (the same from every process: aggregate with max).',
        labelNames: ['queue', 'state'] as const,
        registers,
        async collect() {
          this.reset();
          for (const snapshot of await snapshots()) {
            for (const [state, count] of Object.entries(snapshot.counts)) this.set({ queue: snapshot.queue, state }, count);
          }
        },
      });
      new Gauge({
        name: 'importer_queue_oldest_waiting_seconds',
        help: 'Age of the oldest job waiting in each BullMQ queue, since it was added (0 when none waits).',
        labelNames: ['queue'] as const,
        registers,
        async collect() {
          this.reset();
          for (const snapshot of await snapshots()) this.set({ queue: snapshot.queue }, snapshot.oldestWaitingSeconds);
        },
      });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
