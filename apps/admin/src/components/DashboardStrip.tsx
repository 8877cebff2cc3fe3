import type { ImportStats } from '@importer/contracts';
import { formatNumber, formatPercent } from '../format';

/** The figures an operator looks at first: the last 24 hours, and what runs now. */
export function DashboardStrip({ stats }: { stats: ImportStats | null }) {
  const day = stats?.last24h;
  const running = (stats?.imports.byStatus.processing ?? 0) + (stats?.imports.byStatus.queued ?? 0);
  const figures = [
    { label: 'Imports today', value: formatNumber(day?.imports), note: 'last 24 hours' },
    {
      label: 'Rows today',
      value: formatNumber(day?.rows.total),
      note: day ? `${formatNumber(day.rows.created)} created · ${formatNumber(day.rows.updated)} updated` : 'last 24 hours',
    },
    {
      label: 'Failure rate',
      value: day ? formatPercent(day.failureRate) : '—',
      note: day ? `${formatNumber(day.failedImports)} of ${formatNumber(day.finishedImports)} finished imports` : 'last 24 hours',
      warn: (day?.failureRate ?? 0) > 0,
    },
    { label: 'Running now', value: stats ? formatNumber(running) : '—', note: 'queued or processing' },
  ];
  return (
    <section className="stats" aria-label="Dashboard">
      {figures.map((figure) => (
        <div className={`stat${figure.warn ? ' stat-warn' : ''}`} key={figure.label}>
          <span className="stat-label">{figure.label}</span>
          <span className="stat-value">{figure.value}</span>
          <span className="stat-note">{figure.note}</span>
        </div>
      ))}
    </section>
  );
}
