import { useCallback, useEffect, useState } from 'react';
import {
  ACTIVE_STATUSES,
  IMPORT_STATUSES,
  type ImportStats,
  type ImportView,
  type Page,
  type ProfileInfo,
  type Profiles,
} from '@importer/contracts';
import { api, ApiError } from '../api';
import { Alert } from '../components/Alert';
import { DashboardStrip } from '../components/DashboardStrip';
import { Pager } from '../components/Pager';
import { ProgressBar } from '../components/ProgressBar';
import { StatusBadge } from '../components/StatusBadge';
import { formatAge, formatDateTime, formatNumber, STATUS_LABELS } from '../format';
import { useCursorTrail, useNow, useRefresh } from '../hooks';
import { Link, navigate, useLocation } from '../router';
import { can, useSession } from '../session';

const PAGE_SIZE = 20;

function Totals({ totals }: { totals: ImportView['totals'] }) {
  const parts = (
    [
      ['created', totals.created],
      ['updated', totals.updated],
      ['unchanged', totals.unchanged],
      ['skipped', totals.skipped],
    ] as const
  ).filter(([, count]) => count > 0);
  if (parts.length === 0 && totals.failed === 0) return <span className="muted">—</span>;
  return (
    <span className="totals">
      {parts.map(([label, count]) => (
        <span key={label}>
          {formatNumber(count)} {label}
        </span>
      ))}
      {totals.failed > 0 && <span className="totals-failed">{formatNumber(totals.failed)} failed</span>}
    </span>
  );
}

export function ImportsPage() {
  const { principal } = useSession();
  const { query } = useLocation();
  const status = query.get('status') ?? '';
  const profile = query.get('profile') ?? '';
  const trail = useCursorTrail();
  const { reset } = trail;
  const now = useNow();
  const [page, setPage] = useState<Page<ImportView> | null>(null);
  const [stats, setStats] = useState<ImportStats | null>(null);
  const [profiles, setProfiles] = useState<ProfileInfo[]>([]);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (status) params.set('status', status);
    if (profile) params.set('profile', profile);
    if (trail.cursor) params.set('cursor', trail.cursor);
    try {
      const [list, figures] = await Promise.all([api.get<Page<ImportView>>(`/imports?${params}`), api.get<ImportStats>('/stats')]);
      setPage(list);
      setStats(figures);
      setError(null);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    }
  }, [status, profile, trail.cursor]);

  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- load() sets state only after its await (facebook/react#34905)
    void load();
  }, [load]);
  useEffect(() => {
    api.get<Profiles>('/profiles').then(
      (body) => setProfiles(body.items),
      () => undefined,
    );
  }, []);
  useEffect(reset, [status, profile, reset]);
  const active = page?.items.some((item) => ACTIVE_STATUSES.includes(item.status)) ?? false;
  useRefresh(active, 3_000, load);

  const filter = (name: 'status' | 'profile', value: string) => {
    const next = new URLSearchParams(query);
    if (value) next.set(name, value);
    else next.delete(name);
    const search = next.toString();
    navigate(`/admin/imports${search ? `?${search}` : ''}`, { replace: true });
  };

  return (
    <>
      <div className="page-head">
        <h1>Imports</h1>
        {can.operate(principal?.role) && (
          <Link to="/admin/imports/new" className="button button-primary">
            New import
          </Link>
        )}
      </div>
      <DashboardStrip stats={stats} />
      <section className="panel" aria-labelledby="imports-heading">
        <div className="panel-head">
          <h2 id="imports-heading">All imports</h2>
          <div className="filters">
            <label className="field-inline">
              <span>Status</span>
              <select value={status} onChange={(event) => filter('status', event.target.value)}>
                <option value="">All statuses</option>
                {IMPORT_STATUSES.map((value) => (
                  <option key={value} value={value}>
                    {STATUS_LABELS[value]}
                  </option>
                ))}
              </select>
            </label>
            <label className="field-inline">
              <span>Profile</span>
              <select value={profile} onChange={(event) => filter('profile', event.target.value)}>
                <option value="">All profiles</option>
                {profiles.map((item) => (
                  <option key={item.name} value={item.name}>
                    {item.name}
                  </option>
                ))}
              </select>
            </label>
          </div>
        </div>
        {error && <Alert title="The imports could not be loaded">{error}</Alert>}
        {page && page.items.length === 0 && (
          <p className="empty">
            {status || profile ? 'No import matches these filters.' : 'No imports yet.'}
            {can.operate(principal?.role) && !status && !profile && (
              <>
                {' '}
                <Link to="/admin/imports/new">Upload a file</Link> to start one.
              </>
            )}
          </p>
        )}
        {page && page.items.length > 0 && (
          <div className="table-wrap">
            <table className="table imports-table">
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col">File</th>
                  <th scope="col">Profile</th>
                  <th scope="col">Progress</th>
                  <th scope="col" className="numeric">
                    Rows
                  </th>
                  <th scope="col">Totals</th>
                  <th scope="col">Author</th>
                  <th scope="col">Age</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((item) => (
                  <tr key={item.id} data-import-id={item.id}>
                    <td>
                      <StatusBadge status={item.status} />
                    </td>
                    <td className="file-cell">
                      <Link to={`/admin/imports/${item.id}`} className="file-link" title={item.file.name}>
                        {item.source === 'sync' ? 'sync batch' : item.file.name}
                      </Link>
                      {item.source === 'sync' && <span className="tag tag-sync">sync</span>}
                      {item.options.dryRun === true && <span className="tag">dry run</span>}
                    </td>
                    <td>{item.profile}</td>
                    <td className="progress-cell">
                      <ProgressBar percent={item.progress.percent} status={item.status} label={`Progress of ${item.file.name}`} />
                    </td>
                    <td className="numeric">{formatNumber(item.totals.rows)}</td>
                    <td>
                      <Totals totals={item.totals} />
                    </td>
                    <td className="author" title={item.createdBy ?? undefined}>
                      {item.createdBy ?? '—'}
                    </td>
                    <td className="nowrap">
                      <time dateTime={item.createdAt} title={formatDateTime(item.createdAt)}>
                        {formatAge(item.createdAt, now)}
                      </time>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager label="Imports pages" trail={trail} nextCursor={page?.nextCursor} />
      </section>
    </>
  );
}
