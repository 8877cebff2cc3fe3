import { useCallback, useEffect, useState } from 'react';
import { ACTIVE_STATUSES, isAllowed, type ImportView, type MappingSource, type Page, type RowError } from '@importer/contracts';
import { api, ApiError } from '../api';
import { Alert } from '../components/Alert';
import { ErrorGroups } from '../components/ErrorGroups';
import { ImportDeliveries } from '../components/ImportDeliveries';
import { Pager } from '../components/Pager';
import { ProgressBar } from '../components/ProgressBar';
import { canResubmit, ResubmissionOf, ResubmissionsPanel, ResubmitPanel } from '../components/Resubmissions';
import { RevertAction, RevertProgress } from '../components/Revert';
import { StatusBadge } from '../components/StatusBadge';
import { formatBytes, formatDateTime, formatDelimiter, formatDuration, formatNumber, MODE_LABELS, STATUS_LABELS } from '../format';
import { useCursorTrail } from '../hooks';
import { Link } from '../router';
import { can, useSession } from '../session';

/** How the file's headers were matched to the profile's columns (`file.mappingSource`). */
const MAPPING_SOURCE_LABELS: Record<MappingSource, string> = {
  aliases: 'by names and aliases',
  request: 'with the mapping sent at upload',
  saved: 'with the saved column mapping',
};

const ERRORS_PAGE = 50;
type Live = 'connecting' | 'live' | 'ended' | 'lost';

/** The import record, kept current by the Server-Sent Events of `GET /imports/:id/events` (App keys the page by id: a new id starts afresh). */
function useLiveImport(id: string) {
  const [record, setRecord] = useState<ImportView | null>(null);
  const [live, setLive] = useState<Live>('connecting');
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let closed = false;
    const source = new EventSource(`/api/v1/imports/${id}/events`);
    source.addEventListener('import', (event) => {
      setRecord(JSON.parse((event as MessageEvent<string>).data) as ImportView);
      setLive('live');
    });
    source.addEventListener('end', () => {
      closed = true;
      source.close();
      setLive('ended');
    });
    source.onerror = () => {
      if (closed) return;
      // The browser reconnects by itself unless the server refused the stream (closed state).
      if (source.readyState === EventSource.CLOSED) {
        setLive('lost');
        api
          .get<ImportView>(`/imports/${id}`)
          .then(setRecord, (failure: unknown) => setError(failure instanceof ApiError ? failure.message : String(failure)));
      } else {
        setLive('connecting');
      }
    };
    return () => {
      closed = true;
      source.close();
    };
  }, [id, generation]);

  /** Re-reads the record and listens again (after a retry or a cancel). */
  const restart = useCallback((next?: ImportView) => {
    if (next) setRecord(next);
    setLive('connecting');
    setGeneration((value) => value + 1);
  }, []);
  return { record, live, error, restart };
}

function RowErrors({ id, finishedAt }: { id: string; finishedAt: string | null }) {
  const trail = useCursorTrail();
  const [page, setPage] = useState<Page<RowError> | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const params = new URLSearchParams({ limit: String(ERRORS_PAGE) });
    if (trail.cursor) params.set('cursor', trail.cursor);
    api.get<Page<RowError>>(`/imports/${id}/errors?${params}`).then(
      (body) => {
        setPage(body);
        setError(null);
      },
      (failure: unknown) => setError(failure instanceof ApiError ? failure.message : String(failure)),
    );
    // Reloaded when the import finishes, so the list is complete.
  }, [id, trail.cursor, finishedAt]);

  if (error) return <Alert title="The row errors could not be loaded">{error}</Alert>;
  if (!page) return <p className="muted">Loading the row errors…</p>;
  if (page.items.length === 0 && trail.page === 1) return <p className="empty">No row was rejected or warned about.</p>;
  return (
    <>
      <div className="table-wrap">
        <table className="table errors-table">
          <thead>
            <tr>
              <th scope="col" className="numeric">
                Row
              </th>
              <th scope="col">Level</th>
              <th scope="col">Column</th>
              <th scope="col">Code</th>
              <th scope="col">Message</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((item, index) => (
              <tr key={`${item.row}-${index}`}>
                <td className="numeric">{item.row}</td>
                <td>
                  <span className={`level level-${item.level}`}>{item.level}</span>
                </td>
                <td>{item.column ?? '—'}</td>
                <td>
                  <code>{item.code}</code>
                </td>
                <td className="message">{item.message}</td>
                <td className="value">
                  {item.value === null ? <span className="muted">—</span> : <code className="cell-value">{item.value}</code>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager label="Row error pages" trail={trail} nextCursor={page.nextCursor} />
    </>
  );
}

function Actions({ record, onChanged }: { record: ImportView; onChanged: (next?: ImportView) => void }) {
  const [busy, setBusy] = useState<'retry' | 'cancel' | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const canRetry = isAllowed('retry', record.status);
  const canCancel = isAllowed('cancel', record.status);

  const act = async (action: 'retry' | 'cancel') => {
    setBusy(action);
    setError(null);
    try {
      const answer = await api.post<unknown>(`/imports/${record.id}/${action}`);
      const next = answer && typeof answer === 'object' && 'status' in answer && 'file' in answer ? (answer as ImportView) : undefined;
      onChanged(next);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    } finally {
      setBusy(null);
      setConfirming(false);
    }
  };

  if (!canRetry && !canCancel) return null;
  return (
    <div className="actions">
      {canRetry && (
        <button type="button" className="button button-primary" disabled={busy !== null} onClick={() => void act('retry')}>
          {busy === 'retry' ? 'Retrying…' : 'Retry import'}
        </button>
      )}
      {canCancel && !confirming && (
        <button type="button" className="button button-danger" disabled={busy !== null} onClick={() => setConfirming(true)}>
          Cancel import
        </button>
      )}
      {canCancel && confirming && (
        <span className="confirm" role="group" aria-label="Confirm cancelling">
          <span>Stop this import? Rows already written stay.</span>
          <button type="button" className="button button-danger" disabled={busy !== null} onClick={() => void act('cancel')} autoFocus>
            {busy === 'cancel' ? 'Cancelling…' : 'Yes, cancel it'}
          </button>
          <button type="button" className="button" onClick={() => setConfirming(false)}>
            Keep running
          </button>
        </span>
      )}
      {error && <Alert title="The action failed">{error}</Alert>}
    </div>
  );
}

/** Seconds from start to finish of a finished import. */
function duration(record: ImportView): number | null {
  if (!record.startedAt || !record.finishedAt) return null;
  return (new Date(record.finishedAt).getTime() - new Date(record.startedAt).getTime()) / 1000;
}

function averageSpeed(record: ImportView): number | null {
  const seconds = duration(record);
  return seconds && seconds > 0 ? Math.round(record.totals.rows / seconds) : null;
}

const LIVE_LABELS: Record<Live, string> = { connecting: 'Connecting…', live: 'Live', ended: 'Final', lost: 'Not live: reload to update' };

export function ImportPage({ id }: { id: string }) {
  const { principal } = useSession();
  const { record, live, error, restart } = useLiveImport(id);

  useEffect(() => {
    if (record) document.title = `${record.source === 'sync' ? 'sync batch' : record.file.name} · Importer`;
  }, [record]);

  if (error && !record) return <Alert title="The import could not be loaded">{error}</Alert>;
  if (!record) return <p className="muted">Loading the import…</p>;

  const { totals, progress, file, options } = record;
  const running = ACTIVE_STATUSES.includes(record.status);
  const issues = totals.failed + totals.warnings;
  /** A sync batch has no file: its rows came as JSON (`POST /sync/:profile`). */
  const name = record.source === 'sync' ? 'sync batch' : file.name;
  return (
    <>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/admin/imports">Imports</Link>
        <span aria-hidden="true"> / </span>
        <span aria-current="page">{name}</span>
      </nav>
      <div className="page-head">
        <div className="title-block">
          <h1 className="file-title">{name}</h1>
          <div className="subtitle">
            <StatusBadge status={record.status} />
            <span>{record.profile}</span>
            <span>{MODE_LABELS[options.mode] ?? options.mode}</span>
            {options.dryRun && <span className="tag">dry run</span>}
            {record.source === 'sync' && <span className="tag tag-sync">sync</span>}
            <span>by {record.createdBy ?? 'unknown'}</span>
            {record.parentId && <ResubmissionOf parentId={record.parentId} />}
          </div>
        </div>
        {can.operate(principal?.role) && <Actions record={record} onChanged={restart} />}
        {can.operate(principal?.role) && <RevertAction record={record} onChanged={restart} />}
      </div>

      <section className="panel live-panel" aria-labelledby="progress-heading">
        <div className="panel-head">
          <h2 id="progress-heading">Progress</h2>
          <span className={`live live-${live}`}>
            <span className="live-dot" aria-hidden="true" />
            {LIVE_LABELS[live]}
          </span>
        </div>
        <ProgressBar percent={progress.percent} status={record.status} label="Import progress" large />
        <dl className="figures" aria-live="polite">
          <div>
            <dt>Status</dt>
            <dd data-testid="live-status">{STATUS_LABELS[record.status]}</dd>
          </div>
          <div>
            <dt>Processed rows</dt>
            <dd data-testid="processed-rows">{formatNumber(progress.processedRows)}</dd>
          </div>
          <div>
            <dt>Rows per second</dt>
            <dd>{formatNumber(running ? progress.rowsPerSecond : averageSpeed(record))}</dd>
          </div>
          <div>
            <dt>{running ? 'Time left' : 'Duration'}</dt>
            <dd>{formatDuration(running ? progress.etaSeconds : duration(record))}</dd>
          </div>
          <div>
            <dt>Attempts</dt>
            <dd>{record.attempts}</dd>
          </div>
        </dl>
        {record.error && (
          <Alert title={`Failed: ${record.error.code}`}>
            <span className="error-message">{record.error.message}</span>
          </Alert>
        )}
      </section>

      <ErrorGroups importId={record.id} finishedAt={record.finishedAt} />
      {can.operate(principal?.role) && canResubmit(record) && <ResubmitPanel record={record} />}
      <ResubmissionsPanel record={record} />
      {record.revert && <RevertProgress record={record} revert={record.revert} />}

      <section className="panel" aria-labelledby="totals-heading">
        <h2 id="totals-heading">Totals</h2>
        <dl className="totals-grid">
          {(
            [
              ['Rows', totals.rows, ''],
              ['Created', totals.created, totals.created ? 'good' : ''],
              ['Updated', totals.updated, totals.updated ? 'good' : ''],
              ['Unchanged', totals.unchanged, ''],
              ['Skipped', totals.skipped, ''],
              ['Failed', totals.failed, totals.failed ? 'bad' : ''],
              ['Warnings', totals.warnings, totals.warnings ? 'warn' : ''],
            ] as const
          ).map(([label, value, tone]) => (
            <div key={label} className={`total${tone ? ` total-${tone}` : ''}`}>
              <dt>{label}</dt>
              <dd>{formatNumber(value)}</dd>
            </div>
          ))}
        </dl>
      </section>

      <section className="panel" aria-labelledby="file-heading">
        <h2 id="file-heading">File and dialect</h2>
        <dl className="details">
          <div>
            <dt>Format</dt>
            <dd>{file.format.toUpperCase()}</dd>
          </div>
          <div>
            <dt>Size</dt>
            <dd>{formatBytes(file.size)}</dd>
          </div>
          <div>
            <dt>Encoding</dt>
            <dd>{file.encoding ?? '—'}</dd>
          </div>
          <div>
            <dt>Delimiter</dt>
            <dd>{formatDelimiter(file.delimiter)}</dd>
          </div>
          {file.mappingSource && (
            <div>
              <dt>Headers matched</dt>
              <dd>{MAPPING_SOURCE_LABELS[file.mappingSource]}</dd>
            </div>
          )}
          {(file.sheet || file.format !== 'csv') && (
            <div>
              <dt>Sheet</dt>
              <dd>{file.sheet ?? '—'}</dd>
            </div>
          )}
          <div>
            <dt>Created</dt>
            <dd>{formatDateTime(record.createdAt)}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>{formatDateTime(record.startedAt)}</dd>
          </div>
          <div>
            <dt>Finished</dt>
            <dd>{formatDateTime(record.finishedAt)}</dd>
          </div>
          <div className="wide">
            <dt>Headers</dt>
            <dd className="chips">
              {file.headers.length ? file.headers.map((header, index) => <code key={`${header}-${index}`}>{header}</code>) : '—'}
            </dd>
          </div>
          {file.unknownColumns.length > 0 && (
            <div className="wide">
              <dt>Ignored columns</dt>
              <dd className="chips">
                {file.unknownColumns.map((column, index) => (
                  <code key={`${column}-${index}`} className="chip-warn">
                    {column}
                  </code>
                ))}
              </dd>
            </div>
          )}
          <div className="wide">
            <dt>SHA-256</dt>
            <dd>
              <code className="hash">{file.sha256}</code>
            </dd>
          </div>
        </dl>
      </section>

      <section className="panel" aria-labelledby="errors-heading">
        <div className="panel-head">
          <h2 id="errors-heading">
            Row errors <span className="count">{formatNumber(issues)}</span>
          </h2>
          {totals.failed > 0 && (
            <a className="button" href={`/api/v1/imports/${record.id}/errors.csv`} download>
              Download rejected rows (CSV)
            </a>
          )}
        </div>
        <RowErrors id={record.id} finishedAt={record.finishedAt} />
      </section>

      <ImportDeliveries record={record} admin={can.administer(principal?.role)} />
    </>
  );
}
