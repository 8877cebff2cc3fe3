import { useEffect, useId, useRef, useState } from 'react';
import type { ColumnMapping, Inspection, ProfileInfo, SuggestionSource } from '@importer/contracts';

const SOURCE_LABELS: Record<SuggestionSource, string> = {
  alias: 'name or alias',
  saved: 'saved mapping',
  closest: 'closest name',
};

/**
 * The new import's mapping step: each header of the file with a select of the profile's columns, preselected
 * with the inspection's suggestion and telling where it came from. Confirming gives the mapping of the headers
 * whose column names and aliases do not give (or that the operator changed), and whether to remember it.
 */
export function MappingStep({
  inspection,
  profile,
  busy,
  onConfirm,
  onCancel,
}: {
  inspection: Inspection;
  profile: ProfileInfo | undefined;
  busy: boolean;
  onConfirm: (mapping: ColumnMapping, remember: boolean) => void;
  onCancel: () => void;
}) {
  const heading = useId();
  const [chosen, setChosen] = useState<string[]>(() => inspection.columns.map((entry) => entry.suggestion ?? ''));
  const [remember, setRemember] = useState(true);
  const title = useRef<HTMLHeadingElement>(null);
  // The step opens below the form: bring it into view and give it the focus (keyboard and screen reader users).
  useEffect(() => {
    title.current?.scrollIntoView({ block: 'start' });
    title.current?.focus();
  }, []);
  const columns = profile?.columns ?? [];
  const picked = chosen.filter((column) => column !== '');
  const twice = [...new Set(picked.filter((column, index) => picked.indexOf(column) !== index))];
  const missing = columns.filter((column) => column.required && !picked.includes(column.name)).map((column) => column.name);
  const mapping: ColumnMapping = {};
  inspection.columns.forEach((entry, index) => {
    const column = chosen[index] ?? '';
    if (column !== '' && !(entry.source === 'alias' && entry.suggestion === column)) mapping[entry.header] = column;
  });
  const ready = missing.length === 0 && twice.length === 0 && Object.keys(mapping).length > 0;

  return (
    <section className="panel form" aria-labelledby={heading}>
      <h2 id={heading} ref={title} tabIndex={-1}>
        Map the columns
      </h2>
      <p className="lead">
        Some required columns of <strong>{inspection.profile}</strong> are not in the file under a name the importer knows (missing:{' '}
        {inspection.missingRequired.join(', ')}). Choose the column each header fills.
      </p>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">File header</th>
              <th scope="col">Column</th>
              <th scope="col">Suggested from</th>
            </tr>
          </thead>
          <tbody>
            {inspection.columns.map((entry, index) => (
              <tr key={entry.header}>
                <td>
                  <code>{entry.header}</code>
                </td>
                <td>
                  <select
                    aria-label={`Column for ${entry.header}`}
                    value={chosen[index] ?? ''}
                    onChange={(event) => setChosen((current) => current.map((value, at) => (at === index ? event.target.value : value)))}
                  >
                    <option value="">— ignore —</option>
                    {columns.map((column) => (
                      <option key={column.name} value={column.name}>
                        {column.name}
                        {column.required ? ' (required)' : ''}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="muted">{entry.source ? SOURCE_LABELS[entry.source] : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {missing.length > 0 && <p className="text-bad">Still missing: {missing.join(', ')}.</p>}
      {twice.length > 0 && <p className="text-bad">Chosen for more than one header: {twice.join(', ')}.</p>}
      <label className="check">
        <input type="checkbox" checked={remember} onChange={(event) => setRemember(event.target.checked)} />
        <span>
          <strong>Remember this mapping</strong>
          <span className="choice-help">The next file of this profile with the same headers imports with it by itself.</span>
        </span>
      </label>
      <div className="form-actions">
        <button type="button" className="button button-primary" disabled={!ready || busy} onClick={() => onConfirm(mapping, remember)}>
          Import with this mapping
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>
          Choose another file
        </button>
      </div>
    </section>
  );
}
