import { useEffect, useId, useState } from 'react';
import type { ErrorGroup, ErrorGroups as ErrorGroupsAnswer, Page, RowError } from '@importer/contracts';
import { api, ApiError } from '../api';
import { formatNumber } from '../format';
import { useCursorTrail } from '../hooks';
import { Alert } from './Alert';
import { Pager } from './Pager';

const GROUP_ROWS_PAGE = 20;

const failureText = (failure: unknown) => (failure instanceof ApiError ? failure.message : String(failure));

/** `rows 3, 8, 13, 18, 23, …`: the group's first rows, and an ellipsis when it has more. */
function firstRows(group: ErrorGroup): string {
  const more = group.count > group.rows.length ? ', …' : '';
  return `${group.rows.length === 1 && !more ? 'row' : 'rows'} ${group.rows.join(', ')}${more}`;
}

/** One group's rows, paged through `GET /imports/:id/errors` filtered to its column and code. */
function GroupRows({ importId, group, id }: { importId: string; group: ErrorGroup; id: string }) {
  const trail = useCursorTrail();
  const [page, setPage] = useState<Page<RowError> | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const params = new URLSearchParams({ limit: String(GROUP_ROWS_PAGE), code: group.code });
    if (group.column !== null) params.set('column', group.column);
    if (trail.cursor) params.set('cursor', trail.cursor);
    api.get<Page<RowError>>(`/imports/${importId}/errors?${params}`).then(
      (body) => {
        setPage(body);
        setError(null);
      },
      (failure: unknown) => setError(failureText(failure)),
    );
  }, [importId, group.code, group.column, trail.cursor]);

  if (error) return <Alert title="The rows could not be loaded">{error}</Alert>;
  if (!page) return <p className="muted">Loading the rows…</p>;
  return (
    <div id={id} className="group-rows">
      <div className="table-wrap">
        <table className="table errors-table">
          <thead>
            <tr>
              <th scope="col" className="numeric">
                Row
              </th>
              <th scope="col">Value</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((item, index) => (
              <tr key={`${item.row}-${index}`}>
                <td className="numeric">{item.row}</td>
                <td className="value">
                  {item.value === null ? <span className="muted">—</span> : <code className="cell-value">{item.value}</code>}
                </td>
                <td className="message">{item.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager label={`Pages of the rows of ${group.code}`} trail={trail} nextCursor={page.nextCursor} />
    </div>
  );
}

function Group({ importId, group }: { importId: string; group: ErrorGroup }) {
  const [open, setOpen] = useState(false);
  const rowsId = useId();
  return (
    <li className="error-group" data-testid="error-group">
      <p className="error-group-summary">
        <span className={`level level-${group.level}`}>{group.level}</span>{' '}
        <strong>
          {formatNumber(group.count)} {group.count === 1 ? 'row' : 'rows'}
        </strong>
        : <span className="message">{group.message}</span> — {firstRows(group)}
      </p>
      {group.values.length > 0 && (
        <p className="chips error-group-values">
          <span className="muted">{group.values.length === 1 ? 'Value' : 'Values'}</span>
          {group.values.map((value) => (
            <code key={value} className="cell-value">
              {value}
            </code>
          ))}
        </p>
      )}
      <button type="button" className="button button-small" aria-expanded={open} aria-controls={rowsId} onClick={() => setOpen(!open)}>
        {open ? 'Hide the rows' : `Show the ${group.count === 1 ? 'row' : `${formatNumber(group.count)} rows`}`}
      </button>
      {open && <GroupRows importId={importId} group={group} id={rowsId} />}
    </li>
  );
}

/**
 * What is wrong with an import's rows, one line per column and code (`GET /imports/:id/error-groups`),
 * largest first; each group opens onto its rows. Nothing when no row was rejected or warned about.
 */
export function ErrorGroups({ importId, finishedAt }: { importId: string; finishedAt: string | null }) {
  const [groups, setGroups] = useState<ErrorGroup[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.get<ErrorGroupsAnswer>(`/imports/${importId}/error-groups`).then(
      (body) => {
        setGroups(body.items);
        setError(null);
      },
      (failure: unknown) => setError(failureText(failure)),
    );
    // Reloaded when the import finishes, so the groups are complete.
  }, [importId, finishedAt]);

  if (error) return <Alert title="The error groups could not be loaded">{error}</Alert>;
  if (!groups || groups.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="groups-heading">
      <h2 id="groups-heading">What is wrong</h2>
      <ul className="error-groups">
        {groups.map((group) => (
          <Group key={`${group.code} ${group.column ?? ''}`} importId={importId} group={group} />
        ))}
      </ul>
    </section>
  );
}
