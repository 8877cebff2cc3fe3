import { useEffect, useState } from 'react';
import type { WebhookEndpoint, WebhookEndpointList } from '@importer/contracts';
import { api, messageOf } from '../api';
import { Alert } from '../components/Alert';
import { DeliveryLog } from '../components/DeliveryLog';
import { EndpointActions, EndpointState } from '../components/EndpointActions';
import { formatDateTime } from '../format';
import { Link, navigate } from '../router';
import { can, useSession } from '../session';

/** One endpoint and its delivery log (App keys the page by id). */
export function WebhookPage({ id }: { id: string }) {
  const { principal } = useSession();
  const admin = can.administer(principal?.role);
  const [endpoint, setEndpoint] = useState<WebhookEndpoint | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!admin) return;
    // The API lists endpoints but has no route for one: the list is short (admins add them by hand).
    api.get<WebhookEndpointList>('/webhooks').then(
      (body) => setEndpoint(body.items.find((item) => item.id === id) ?? null),
      (failure: unknown) => setError(messageOf(failure)),
    );
  }, [id, admin]);

  useEffect(() => {
    if (endpoint) document.title = `${endpoint.url} · Webhooks · Importer`;
  }, [endpoint]);

  if (!admin) {
    return (
      <>
        <h1>Webhook endpoint</h1>
        <Alert kind="info">Only admins manage webhooks.</Alert>
      </>
    );
  }
  if (error) return <Alert title="The endpoint could not be loaded">{error}</Alert>;
  if (endpoint === undefined) return <p className="muted">Loading the endpoint…</p>;
  if (endpoint === null) {
    return (
      <>
        <h1>Webhook endpoint</h1>
        <Alert kind="info" title="No such endpoint">
          It may have been deleted. <Link to="/admin/webhooks">Back to the webhooks</Link>
        </Alert>
      </>
    );
  }

  return (
    <>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/admin/webhooks">Webhooks</Link>
        <span aria-hidden="true"> / </span>
        <span aria-current="page">{endpoint.url}</span>
      </nav>
      <div className="page-head">
        <div className="title-block">
          <h1 className="file-title">{endpoint.url}</h1>
          <div className="subtitle">
            <EndpointState endpoint={endpoint} />
            {endpoint.description && <span>{endpoint.description}</span>}
          </div>
        </div>
        <div className="actions">
          <EndpointActions endpoint={endpoint} onChanged={setEndpoint} onDeleted={() => navigate('/admin/webhooks', { replace: true })} />
        </div>
      </div>
      <section className="panel" aria-labelledby="endpoint-heading">
        <h2 id="endpoint-heading">Endpoint</h2>
        <dl className="details">
          <div>
            <dt>Events</dt>
            <dd className="chips">
              {endpoint.events.map((name) => (
                <code key={name}>{name}</code>
              ))}
            </dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatDateTime(endpoint.createdAt)}</dd>
          </div>
          <div>
            <dt>Secret</dt>
            <dd className="muted">shown once, when the endpoint was added</dd>
          </div>
        </dl>
      </section>
      <section className="panel" aria-labelledby="deliveries-heading">
        <h2 id="deliveries-heading">Deliveries</h2>
        <DeliveryLog
          path={`/webhooks/${endpoint.id}/deliveries`}
          show="import"
          canReplay
          empty="Nothing was sent to this endpoint yet: it receives a message when an import finishes."
        />
      </section>
    </>
  );
}
