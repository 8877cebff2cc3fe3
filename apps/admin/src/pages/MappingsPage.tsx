import { useCallback, useEffect, useState } from 'react';
import type { SavedMapping, SavedMappingList } from '@importer/contracts';
import { api, ApiError } from '../api';
import { Alert } from '../components/Alert';
import { formatAge, formatDateTime } from '../format';
import { useNow } from '../hooks';
import { can, useSession } from '../session';

function RemoveButton({ mapping, onRemoved }: { mapping: SavedMapping; onRemoved: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const label = `${mapping.profile}: ${mapping.headers.join(', ')}`;
  const remove = async () => {
    try {
      await api.delete(`/mappings/${mapping.id}`);
      onRemoved();
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    }
  };
  if (error) return <span className="text-bad">{error}</span>;
  if (!confirming) {
    return (
      <button
        type="button"
        className="button button-small"
        onClick={() => setConfirming(true)}
        aria-label={`Remove the mapping of ${label}`}
      >
        Remove
      </button>
    );
  }
  return (
    <span className="confirm">
      <button type="button" className="button button-small button-danger" onClick={() => void remove()} autoFocus>
        Yes, remove
      </button>
      <button type="button" className="button button-small" onClick={() => setConfirming(false)}>
        Keep
      </button>
    </span>
  );
}

/** The column mappings remembered per profile and header set (docs/profiles.md, "Column mappings"). */
export function MappingsPage() {
  const { principal } = useSession();
  const now = useNow();
  const [mappings, setMappings] = useState<SavedMapping[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setMappings((await api.get<SavedMappingList>('/mappings')).items);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    }
  }, []);
  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- load() sets state only after its await (facebook/react#34905)
    void load();
  }, [load]);

  return (
    <>
      <div className="page-head">
        <h1>Column mappings</h1>
      </div>
      <p className="lead">
        When a file&apos;s headers do not name a profile&apos;s required columns, the mapping confirmed for it is remembered here; the next
        file of that profile with the same headers (in any order or case) imports with it by itself.
      </p>
      {error && <Alert title="The mappings could not be loaded">{error}</Alert>}
      <section className="panel" aria-labelledby="mappings-heading">
        <h2 id="mappings-heading">Saved mappings</h2>
        {mappings && mappings.length === 0 && <p className="empty">No saved mapping yet.</p>}
        {mappings && mappings.length > 0 && (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Profile</th>
                  <th scope="col">File headers</th>
                  <th scope="col">Mapping</th>
                  <th scope="col">Saved by</th>
                  <th scope="col">Saved</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {mappings.map((mapping) => (
                  <tr key={mapping.id}>
                    <td>{mapping.profile}</td>
                    <td>{mapping.headers.join(', ')}</td>
                    <td>
                      <ul className="mapping-list">
                        {Object.entries(mapping.mapping).map(([header, column]) => (
                          <li key={header}>
                            <code>{header}</code> → <code>{column}</code>
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td>{mapping.savedBy ?? '—'}</td>
                    <td>
                      <time dateTime={mapping.savedAt} title={formatDateTime(mapping.savedAt)}>
                        {formatAge(mapping.savedAt, now)}
                      </time>
                    </td>
                    <td className="actions-cell">
                      {can.operate(principal?.role) && <RemoveButton mapping={mapping} onRemoved={() => void load()} />}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
