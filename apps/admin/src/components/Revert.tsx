import { useState } from 'react';
import { isAllowed, type ImportView, type RevertPreview, type RevertView } from '@importer/contracts';
import { api, ApiError } from '../api';
import { formatDateTime, formatNumber } from '../format';
import { Alert } from './Alert';
import { ProgressBar } from './ProgressBar';

const failureText = (failures: RevertView['failures']) =>
  [
    failures.referenced ? `${formatNumber(failures.referenced)} referenced by other rows` : '',
    failures.missing ? `${formatNumber(failures.missing)} pointing at a row deleted since` : '',
  ]
    .filter(Boolean)
    .join(', ');

/**
 * The Revert button of a completed import (docs/api.md, `POST /imports/:id/revert`): it first asks for the dry
 * run and shows its counts, then, once confirmed, starts the revert; `onChanged` gets the record (now
 * `reverting`) so the page listens again.
 */
export function RevertAction({ record, onChanged }: { record: ImportView; onChanged: (next?: ImportView) => void }) {
  const [preview, setPreview] = useState<RevertPreview | null>(null);
  const [busy, setBusy] = useState<'preview' | 'revert' | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!isAllowed('revert', record.status) || record.options.dryRun) return null;

  const run = async <T,>(step: 'preview' | 'revert', work: () => Promise<T>): Promise<T | undefined> => {
    setBusy(step);
    setError(null);
    try {
      return await work();
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
      return undefined;
    } finally {
      setBusy(null);
    }
  };
  const ask = async () => {
    const answer = await run('preview', () => api.post<RevertPreview>(`/imports/${record.id}/revert`, { dryRun: true }));
    if (answer) setPreview(answer);
  };
  const confirm = async () => {
    const next = await run('revert', () => api.post<ImportView>(`/imports/${record.id}/revert`, {}));
    if (next) {
      setPreview(null);
      onChanged(next);
    }
  };

  return (
    <div className="actions">
      {!preview && (
        <button type="button" className="button button-danger" disabled={busy !== null} onClick={() => void ask()}>
          {busy === 'preview' ? 'Checking…' : 'Revert import'}
        </button>
      )}
      {preview && (
        <span className="confirm revert-confirm" role="group" aria-label="Confirm reverting">
          <span data-testid="revert-preview">
            Reverting deletes the rows this import created and gives the rows it updated their values back:{' '}
            <strong>{formatNumber(preview.reverted)}</strong> to revert, <strong>{formatNumber(preview.kept)}</strong> kept (changed since
            by a later import), <strong>{formatNumber(preview.failed)}</strong> that cannot be reverted
            {preview.failed ? ` (${failureText(preview.failures)})` : ''}.
          </span>
          <button type="button" className="button button-danger" disabled={busy !== null} onClick={() => void confirm()} autoFocus>
            {busy === 'revert' ? 'Starting…' : 'Yes, revert it'}
          </button>
          <button type="button" className="button" disabled={busy !== null} onClick={() => setPreview(null)}>
            Keep the import
          </button>
        </span>
      )}
      {error && <Alert title="The revert could not start">{error}</Alert>}
    </div>
  );
}

/** The revert of an import: its progress while it runs, its counts once done. */
export function RevertProgress({ record, revert }: { record: ImportView; revert: RevertView }) {
  const percent = revert.rows ? (revert.processedRows / revert.rows) * 100 : revert.finishedAt ? 100 : 0;
  return (
    <section className="panel" aria-labelledby="revert-heading" data-testid="revert-panel">
      <h2 id="revert-heading">Revert</h2>
      <ProgressBar percent={percent} status={record.status} label="Revert progress" />
      <dl className="totals-grid">
        {(
          [
            ['Keys', revert.rows ?? 0, ''],
            ['Done', revert.processedRows, ''],
            ['Reverted', revert.reverted, revert.reverted ? 'good' : ''],
            ['Kept', revert.kept, revert.kept ? 'warn' : ''],
            ['Failed', revert.failed, revert.failed ? 'bad' : ''],
          ] as const
        ).map(([label, value, tone]) => (
          <div key={label} className={`total${tone ? ` total-${tone}` : ''}`} data-testid={`revert-${label.toLowerCase()}`}>
            <dt>{label}</dt>
            <dd>{formatNumber(value)}</dd>
          </div>
        ))}
      </dl>
      <p className="muted">
        Asked by {revert.requestedBy ?? 'unknown'} on {formatDateTime(revert.startedAt)};{' '}
        {revert.finishedAt ? `finished ${formatDateTime(revert.finishedAt)}` : 'running'}.
        {revert.failed > 0 && ` Not reverted: ${failureText(revert.failures)}.`}
      </p>
    </section>
  );
}
