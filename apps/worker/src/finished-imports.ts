import type { Logger } from 'pino';
import type { ImportsRepository } from '@importer/db';
import type { Metrics } from '@importer/metrics';

type FinishStatus = 'completed' | 'completed_with_errors' | 'failed';

/**
 * Counts an import this worker has just finished (`importer_imports_finished_total`, with its duration
 * from the import record's start and finish). Metrics never fail an import: a read that fails is logged.
 */
export async function countFinished(
  deps: { metrics?: Metrics; imports: ImportsRepository; logger: Logger },
  importId: string,
  status: FinishStatus,
): Promise<void> {
  if (!deps.metrics) return;
  try {
    const record = await deps.imports.get(importId);
    if (record)
      deps.metrics.importFinished({ profile: record.profile, status, startedAt: record.startedAt, finishedAt: record.finishedAt });
  } catch (error) {
    deps.logger.warn({ err: error, importId }, 'could not count the finished import in the metrics');
  }
}
