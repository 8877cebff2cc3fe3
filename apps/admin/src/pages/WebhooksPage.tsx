import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { CreatedWebhookEndpoint, NewWebhookEndpoint, WebhookEndpoint, WebhookEndpointList } from '@importer/contracts';
import '../webhooks.css';
import { api, messageOf } from '../api';
import { Alert } from '../components/Alert';
import { CopyButton } from '../components/CopyButton';
import { DataTable } from '../components/DataTable';
import { EndpointActions, EndpointState } from '../components/EndpointActions';
import { formatAge, formatDateTime } from '../format';
import { useNow } from '../hooks';
import { Link } from '../router';
import { can, useSession } from '../session';

/** The secret of an endpoint just added: shown here once, never again. */
function NewSecret({ endpoint, onDone }: { endpoint: CreatedWebhookEndpoint; onDone: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.select(), []);
  return (
    <div className="secret secret-once" role="status">
      <label className="field">
        <span className="field-label">Signing secret of {endpoint.url}</span>
        <input ref={input} type="text" readOnly value={endpoint.secret} className="mono" onFocus={(event) => event.target.select()} />
        <span className="field-help">
          <strong>Copy it now: you will not see it again.</strong> The receiver verifies each delivery&apos;s <code>webhook-signature</code>{' '}
          header with it (Standard Webhooks).
        </span>
      </label>
      <CopyButton value={endpoint.secret} fallback={input} />
      <button type="button" className="button button-quiet" onClick={onDone}>
        Done
      </button>
    </div>
  );
}

export function WebhooksPage() {
  const { principal } = useSession();
  const now = useNow();
  const [endpoints, setEndpoints] = useState<WebhookEndpoint[] | null>(null);
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [created, setCreated] = useState<CreatedWebhookEndpoint | null>(null);
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const admin = can.administer(principal?.role);

  const load = useCallback(
    () =>
      api.get<WebhookEndpointList>('/webhooks').then(
        (body) => {
          setEndpoints(body.items);
          setLoadError(null);
        },
        (failure: unknown) => setLoadError(messageOf(failure)),
      ),
    [],
  );
  useEffect(() => {
    if (admin) void load();
  }, [load, admin]);

  if (!admin) {
    return (
      <>
        <h1>Webhooks</h1>
        <Alert kind="info">Only admins manage webhooks.</Alert>
      </>
    );
  }

  const add = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setAdding(true);
    try {
      const body: NewWebhookEndpoint = { url: url.trim() };
      if (description.trim()) body.description = description.trim();
      setCreated(await api.post<CreatedWebhookEndpoint>('/webhooks', body));
      setUrl('');
      setDescription('');
      await load();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setAdding(false);
    }
  };

  const replace = (next: WebhookEndpoint) => setEndpoints((current) => current?.map((item) => (item.id === next.id ? next : item)) ?? null);

  return (
    <>
      <div className="page-head">
        <h1>Webhooks</h1>
      </div>
      <p className="lead">
        When an import finishes, each enabled endpoint receives <code>import.finished</code> with the import record, signed with the
        endpoint&apos;s secret; a failed delivery is retried, and every attempt is logged on the endpoint&apos;s page.
      </p>
      <form className="panel form form-inline" onSubmit={(event) => void add(event)} noValidate>
        <h2>New endpoint</h2>
        {error && <Alert title="The endpoint was not added">{error}</Alert>}
        <div className="inline-fields">
          <label className="field field-wide">
            <span className="field-label">URL</span>
            <input
              type="url"
              value={url}
              required
              maxLength={2048}
              placeholder="https://example.com/hooks/importer"
              onChange={(event) => setUrl(event.target.value)}
            />
          </label>
          <label className="field">
            <span className="field-label">Description</span>
            <input
              type="text"
              value={description}
              maxLength={500}
              placeholder="optional"
              onChange={(event) => setDescription(event.target.value)}
            />
          </label>
          <button type="submit" className="button button-primary" disabled={!url.trim() || adding}>
            {adding ? 'Adding…' : 'Add endpoint'}
          </button>
        </div>
        {created && <NewSecret key={created.id} endpoint={created} onDone={() => setCreated(null)} />}
      </form>
      <section className="panel" aria-labelledby="endpoints-heading">
        <h2 id="endpoints-heading">Endpoints</h2>
        {loadError && <Alert title="The endpoints could not be loaded">{loadError}</Alert>}
        {!endpoints && !loadError && <p className="muted">Loading the endpoints…</p>}
        {endpoints && endpoints.length === 0 && <p className="empty">No endpoint yet.</p>}
        {endpoints && endpoints.length > 0 && (
          <DataTable
            className="endpoints-table"
            columns={[{ name: 'URL' }, { name: 'Description' }, { name: 'Events' }, { name: 'State' }, { name: 'Created' }, { name: '' }]}
          >
            {endpoints.map((endpoint) => (
              <tr key={endpoint.id} data-endpoint-id={endpoint.id} className={endpoint.enabled ? undefined : 'row-muted'}>
                <td>
                  <Link to={`/admin/webhooks/${endpoint.id}`} className="mono endpoint-url">
                    {endpoint.url}
                  </Link>
                </td>
                <td>{endpoint.description ?? <span className="muted">—</span>}</td>
                <td className="chips">
                  {endpoint.events.map((name) => (
                    <code key={name}>{name}</code>
                  ))}
                </td>
                <td>
                  <EndpointState endpoint={endpoint} />
                </td>
                <td className="nowrap">
                  <time dateTime={endpoint.createdAt} title={formatDateTime(endpoint.createdAt)}>
                    {formatAge(endpoint.createdAt, now)}
                  </time>
                </td>
                <td className="actions-cell">
                  <EndpointActions endpoint={endpoint} onChanged={replace} onDeleted={() => void load()} />
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>
    </>
  );
}
