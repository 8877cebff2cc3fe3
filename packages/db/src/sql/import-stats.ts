import type { ImportStats, StatsWindow } from '@importer/contracts';
import { IMPORT_TRANSITIONS, statusIn } from '../import-lifecycle';
import type { Queryable } from '../pool';

const WINDOWS = { '24h': `interval '24 hours'`, '30d': `interval '30 days'` } as const;
const OUTCOMES = ['rows_total', 'created', 'updated', 'unchanged', 'skipped', 'failed'] as const;

/**
 * One aggregate per window: imports, rows by outcome, finished and failed imports (by creation time). An
 * import counts as finished when it ran to an end (a `finish`), not when it was cancelled.
 */
function windowColumns(name: keyof typeof WINDOWS): string {
  const since = `"created_at" >= now() - ${WINDOWS[name]}`;
  return [
    `count(*) FILTER (WHERE ${since}) AS "imports_${name}"`,
    ...OUTCOMES.map((column) => `coalesce(sum("${column}") FILTER (WHERE ${since}), 0) AS "${column}_${name}"`),
    `count(*) FILTER (WHERE ${since} AND ${statusIn('"status"', IMPORT_TRANSITIONS.finish.to)}) AS "finished_${name}"`,
    `count(*) FILTER (WHERE ${since} AND ${statusIn('"status"', ['failed'])}) AS "failures_${name}"`,
  ].join(',\n    ');
}

/**
 * Totals by status and by profile, and rows by outcome over the last 24 hours and 30 days, in one
 * statement: GROUPING SETS give one row per status, one per profile and one grand total.
 */
const STATS_SQL = `
  SELECT
    GROUPING("status") AS "status_grouped",
    GROUPING("profile") AS "profile_grouped",
    "status",
    "profile",
    count(*) AS "imports",
    ${windowColumns('24h')},
    ${windowColumns('30d')}
  FROM "imports"
  GROUP BY GROUPING SETS (("status"), ("profile"), ())`;

type StatsRow = Record<string, string | number | null>;
const num = (value: unknown) => Number(value ?? 0);

function toWindow(row: StatsRow | undefined, name: keyof typeof WINDOWS): StatsWindow {
  const finished = num(row?.[`finished_${name}`]);
  const failures = num(row?.[`failures_${name}`]);
  return {
    imports: num(row?.[`imports_${name}`]),
    rows: {
      total: num(row?.[`rows_total_${name}`]),
      created: num(row?.[`created_${name}`]),
      updated: num(row?.[`updated_${name}`]),
      unchanged: num(row?.[`unchanged_${name}`]),
      skipped: num(row?.[`skipped_${name}`]),
      failed: num(row?.[`failed_${name}`]),
    },
    finishedImports: finished,
    failedImports: failures,
    failureRate: finished > 0 ? failures / finished : null,
  };
}

/** The dashboard figures (`GET /stats`, docs/api.md). Cancelled imports count as neither finished nor failed. */
export async function importStats(db: Queryable): Promise<ImportStats> {
  const { rows } = await db.query<StatsRow>(STATS_SQL);
  const byStatus: Record<string, number> = {};
  const byProfile: Record<string, number> = {};
  let total: StatsRow | undefined;
  for (const row of rows) {
    const statusGrouped = num(row.status_grouped) === 1;
    const profileGrouped = num(row.profile_grouped) === 1;
    if (statusGrouped && profileGrouped) total = row;
    else if (!statusGrouped) byStatus[String(row.status)] = num(row.imports);
    else byProfile[String(row.profile)] = num(row.imports);
  }
  return {
    generatedAt: new Date().toISOString(),
    imports: { total: num(total?.imports), byStatus, byProfile },
    last24h: toWindow(total, '24h'),
    last30d: toWindow(total, '30d'),
  };
}
