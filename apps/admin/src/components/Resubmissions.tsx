import { useEffect, useState, type FormEvent } from 'react';
import { FINISHED_STATUSES, type ImportView } from '@importer/contracts';
import { api, ApiError } from '../api';
import { formatNumber } from '../format';
import { Link, navigate } from '../router';
import { Alert } from './Alert';
import { StatusBadge } from './StatusBadge';

/**
 * Re-submitting an import's failed rows (`POST /imports/:id/resubmit`, docs/api.md): the rejected rows
 * downloaded, corrected, uploaded again as a new import of the same profile and options.
 */

/** The subtitle's link to the import this one re-submits rows of (its file name once read). */
export function ResubmissionOf({ parentId }: { parentId: string }) {
  const [name, setName] = useState<string | null>(null);
  useEffect(() => {
    api.get<ImportView>(`/imports/${parentId}`).then(
      (parent) => setName(parent.file.name),
      () => setName(null), // the link still leads there (the cleanup may have deleted it)
    );
  }, [parentId]);
  return (
    <span>
      re-submission of <Link to={`/admin/imports/${parentId}`}>{name ?? 'the original import'}</Link>
    </span>
  );
}

/** Whether an operator may send a corrected file for this import: finished, with rows (or the whole file) to fix. */
export const canResubmit = (record: ImportView) =>
  FINISHED_STATUSES.includes(record.status) && (record.totals.failed > 0 || record.status === 'failed');

/** Download the rejected rows, correct them, upload the corrected file: the new import's page opens. */
export function ResubmitPanel({ record }: { record: ImportView }) {
  const [file, setFile] = useState<File | null>(null);
  const [uploading, setUploading] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    const form = new FormData();
    form.set('file', file);
    setError(null);
    setUploading(0);
    try {
      const created = await api.upload<ImportView>(`/imports/${record.id}/resubmit`, form, setUploading);
      navigate(`/admin/imports/${created.id}`);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
      setUploading(null);
    }
  };

  const rejected = record.totals.failed > 0;
  return (
    <section className="panel" aria-labelledby="resubmit-heading">
      <h2 id="resubmit-heading">Fix and re-submit</h2>
      <ol className="resubmit-steps">
        {rejected && (
          <li>
            <a className="button" href={`/api/v1/imports/${record.id}/errors.csv`} download>
              Download rejected rows
            </a>{' '}
            <span className="muted">each rejected row as the file held it, and what is wrong with it in three more columns.</span>
          </li>
        )}
        <li>
          {rejected ? 'Correct the cells in your spreadsheet program; the error columns may stay, they are ignored.' : 'Correct the file.'}
        </li>
        <li>
          <form className="resubmit-form" onSubmit={(event) => void submit(event)}>
            <label className="field">
              <span className="field-label">Corrected file</span>
              <input type="file" accept=".csv,.tsv,.txt,.xlsx,.xls" onChange={(event) => setFile(event.target.files?.[0] ?? null)} />
            </label>
            <button type="submit" className="button button-primary" disabled={!file || uploading !== null}>
              {uploading === null ? 'Upload the corrected file' : `Uploading… ${Math.round(uploading * 100)} %`}
            </button>
          </form>
          <span className="muted">It is imported as a new import, with this one&apos;s profile and options.</span>
        </li>
      </ol>
      {error && <Alert title="The corrected file was refused">{error}</Alert>}
    </section>
  );
}

/** The imports that re-submitted rows of this one, with what each fixed. */
export function ResubmissionsPanel({ record }: { record: ImportView }) {
  if (record.resubmissions.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="resubmissions-heading">
      <h2 id="resubmissions-heading">Re-submissions</h2>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Import</th>
              <th scope="col">Status</th>
              <th scope="col" className="numeric">
                Fixed
              </th>
              <th scope="col" className="numeric">
                Still failing
              </th>
            </tr>
          </thead>
          <tbody>
            {record.resubmissions.map((child, index) => (
              <tr key={child.id}>
                <td>
                  <Link to={`/admin/imports/${child.id}`}>Re-submission {index + 1}</Link>
                </td>
                <td>
                  <StatusBadge status={child.status} />
                </td>
                <td className="numeric">{formatNumber(child.fixed)}</td>
                <td className={`numeric${child.stillFailing > 0 ? ' text-bad' : ''}`}>{formatNumber(child.stillFailing)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
