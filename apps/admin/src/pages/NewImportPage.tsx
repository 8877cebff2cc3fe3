import { useEffect, useId, useState, type DragEvent, type FormEvent } from 'react';
import type { ColumnMapping, ImportView, Inspection, NewSavedMapping, ProfileInfo, Profiles } from '@importer/contracts';
import { api, ApiError } from '../api';
import { Alert } from '../components/Alert';
import { MappingStep } from '../components/MappingStep';
import { WebhookUrlField } from '../components/WebhookUrlField';
import { formatBytes, MODE_LABELS } from '../format';
import { Link, navigate } from '../router';
import { can, useSession } from '../session';

const ACCEPT =
  '.csv,.tsv,.txt,.xlsx,.xls,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/vnd.ms-excel';

const MODE_HELP: Record<string, string> = {
  upsert: 'Create new rows and update existing ones; blank cells keep the stored values.',
  overwrite: 'Create and update; blank cells clear the stored values.',
  insert_only: 'Create new rows only; rows whose key exists are skipped.',
};

export function NewImportPage() {
  const { principal } = useSession();
  const fileHelp = useId();
  const [profiles, setProfiles] = useState<ProfileInfo[]>([]);
  const [modes, setModes] = useState<string[]>(['upsert', 'overwrite', 'insert_only']);
  const [file, setFile] = useState<File | null>(null);
  const [profile, setProfile] = useState('companies');
  const [mode, setMode] = useState('upsert');
  const [dryRun, setDryRun] = useState(false);
  const [createMissingCategories, setCreateMissingCategories] = useState(false);
  const [sheet, setSheet] = useState('');
  const [webhookUrl, setWebhookUrl] = useState('');
  const [dragging, setDragging] = useState(false);
  const [uploading, setUploading] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** The inspection of the chosen file when it needs the mapping step (for that file and profile only). */
  const [inspection, setInspection] = useState<{ file: File; profile: string; result: Inspection } | null>(null);

  useEffect(() => {
    api.get<Profiles>('/profiles').then(
      (body) => {
        setProfiles(body.items);
        setModes(body.modes);
      },
      () => undefined,
    );
  }, []);

  if (!can.operate(principal?.role)) {
    return (
      <>
        <h1>New import</h1>
        <Alert kind="info" title="Read-only access">
          Your role ({principal?.role}) can read imports but not upload files. Ask an admin for the operator role.
        </Alert>
        <p>
          <Link to="/admin/imports">Back to the imports</Link>
        </p>
      </>
    );
  }

  const selected = profiles.find((item) => item.name === profile);
  const mappingStep = inspection && inspection.file === file && inspection.profile === profile ? inspection.result : null;
  const workbook = file ? /\.xlsx?$/i.test(file.name) : false;

  const drop = (event: DragEvent<HTMLLabelElement>) => {
    event.preventDefault();
    setDragging(false);
    const dropped = event.dataTransfer.files[0];
    if (dropped) {
      setFile(dropped);
      setError(null);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) {
      setError('Choose a file to import first.');
      return;
    }
    // The header row first: a file whose required columns are not all matched (and that no saved mapping
    // covers) goes through the mapping step.
    const form = new FormData();
    form.set('profile', profile);
    if (workbook && sheet.trim()) form.set('sheet', sheet.trim());
    form.set('file', file, file.name);
    setError(null);
    try {
      const result = await api.upload<Inspection>('/imports/inspect', form, () => undefined);
      if (result.missingRequired.length > 0 && result.savedMappingId === null) {
        setInspection({ file, profile, result });
        return;
      }
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
      return;
    }
    await send(file);
  };

  const confirmMapping = async (mapping: ColumnMapping, remember: boolean) => {
    if (!file || !mappingStep) return;
    if (remember) {
      try {
        await api.post('/mappings', { profile, headers: mappingStep.headers, mapping } satisfies NewSavedMapping);
      } catch (failure) {
        setError(failure instanceof ApiError ? failure.message : String(failure));
        return;
      }
    }
    await send(file, mapping);
  };

  const send = async (file: File, mapping?: ColumnMapping) => {
    const form = new FormData();
    form.set('profile', profile);
    form.set('mode', mode);
    form.set('dryRun', String(dryRun));
    if (profile === 'subcategories') form.set('createMissingCategories', String(createMissingCategories));
    if (workbook && sheet.trim()) form.set('sheet', sheet.trim());
    if (mapping) form.set('mapping', JSON.stringify(mapping));
    if (webhookUrl.trim()) form.set('webhookUrl', webhookUrl.trim());
    form.set('file', file, file.name);
    setError(null);
    setUploading(0);
    try {
      const created = await api.upload<ImportView>('/imports', form, setUploading);
      navigate(`/admin/imports/${created.id}`);
    } catch (failure) {
      setUploading(null);
      setError(failure instanceof ApiError ? failure.message : String(failure));
    }
  };

  return (
    <>
      <div className="page-head">
        <h1>New import</h1>
      </div>
      <form className="panel form" onSubmit={(event) => void submit(event)} noValidate>
        {error && <Alert title="The file was not accepted">{error}</Alert>}
        <label
          className={`dropzone${dragging ? ' dropzone-active' : ''}${file ? ' dropzone-filled' : ''}`}
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={drop}
        >
          <input
            type="file"
            name="file"
            className="visually-hidden"
            accept={ACCEPT}
            aria-describedby={fileHelp}
            onChange={(event) => {
              setFile(event.target.files?.[0] ?? null);
              setError(null);
            }}
          />
          <span className="dropzone-icon" aria-hidden="true">
            ⇪
          </span>
          {file ? (
            <span className="dropzone-title">
              {file.name} <span className="muted">({formatBytes(file.size)})</span>
            </span>
          ) : (
            <span className="dropzone-title">Drop a spreadsheet here, or choose a file</span>
          )}
          <span className="dropzone-hint" id={fileHelp}>
            CSV, TSV, XLSX or XLS · the format is read from the content
          </span>
        </label>

        <div className="form-grid">
          <label className="field">
            <span className="field-label">Profile</span>
            <select value={profile} onChange={(event) => setProfile(event.target.value)}>
              {(profiles.length ? profiles.map((item) => item.name) : ['companies', 'categories', 'subcategories']).map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
            {selected && (
              <span className="field-help">
                Columns:{' '}
                {selected.columns.map((column, index) => (
                  <span key={column.name}>
                    {index > 0 && ', '}
                    <code>{column.name}</code>
                    {column.required && <span title="required"> (required)</span>}
                  </span>
                ))}
              </span>
            )}
          </label>
          {workbook && (
            <label className="field">
              <span className="field-label">Sheet</span>
              <input type="text" value={sheet} onChange={(event) => setSheet(event.target.value)} placeholder="first non-empty sheet" />
              <span className="field-help">Leave empty to read the first sheet that has data.</span>
            </label>
          )}
        </div>

        <fieldset className="field modes">
          <legend className="field-label">Mode</legend>
          {modes.map((value) => (
            <label key={value} className={`choice${mode === value ? ' choice-selected' : ''}`}>
              <input type="radio" name="mode" value={value} checked={mode === value} onChange={() => setMode(value)} />
              <span>
                <strong>{MODE_LABELS[value] ?? value}</strong>
                <span className="choice-help">{MODE_HELP[value] ?? ''}</span>
              </span>
            </label>
          ))}
        </fieldset>

        <div className="checks">
          <label className="check">
            <input type="checkbox" checked={dryRun} onChange={(event) => setDryRun(event.target.checked)} />
            <span>
              <strong>Dry run</strong>
              <span className="choice-help">Validate and count what would change, without writing anything.</span>
            </span>
          </label>
          {profile === 'subcategories' && (
            <label className="check">
              <input
                type="checkbox"
                checked={createMissingCategories}
                onChange={(event) => setCreateMissingCategories(event.target.checked)}
              />
              <span>
                <strong>Create missing categories</strong>
                <span className="choice-help">Create the parent categories the file names but that do not exist yet.</span>
              </span>
            </label>
          )}
        </div>

        <WebhookUrlField value={webhookUrl} onChange={setWebhookUrl} />

        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={uploading !== null}>
            {uploading === null ? 'Start import' : `Uploading… ${Math.round(uploading * 100)} %`}
          </button>
          <Link to="/admin/imports" className="button button-quiet">
            Back to imports
          </Link>
        </div>
      </form>
      {mappingStep && (
        <MappingStep
          key={`${mappingStep.profile}:${mappingStep.headers.join('\n')}`}
          inspection={mappingStep}
          profile={selected}
          busy={uploading !== null}
          onConfirm={(mapping, remember) => void confirmMapping(mapping, remember)}
          onCancel={() => setInspection(null)}
        />
      )}
    </>
  );
}
