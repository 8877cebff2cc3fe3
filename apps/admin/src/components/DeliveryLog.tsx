import { useCallback, useEffect, useRef, useState } from 'react';
import type { WebhookAttempt, WebhookDeliveries, WebhookDelivery, WebhookDeliveryState } from '@importer/contracts';
import { api, messageOf } from '../api';
import { formatAge, formatDateTime, formatNumber } from '../format';
import { useCursorTrail, useNow, useRefresh } from '../hooks';
import { Link } from '../router';
import '../webhooks.css';
import { Alert } from './Alert';
import { DataTable } from './DataTable';
import { Pager } from './Pager';

const PAGE_SIZE = 10;
/**
 * A page that shows a pending delivery is read again until none is: soon while one is being sent, else shortly
 * after the next attempt is due, at least every 30 s (a retry can be hours away; a replay can come sooner).
 */
const SENDING_REFRESH_MS = 1500;
const WAITING_REFRESH_MS = 30_000;

function refreshDelay(deliveries: WebhookDelivery[], now: number): number {
  const due = deliveries
    .filter((delivery) => delivery.state === 'pending')
    .map((delivery) => (delivery.nextAttemptAt ? new Date(delivery.nextAttemptAt).getTime() - now + SENDING_REFRESH_MS : 0));
  return Math.min(WAITING_REFRESH_MS, Math.max(SENDING_REFRESH_MS, Math.min(...due)));
}

const STATE_LABELS: Record<WebhookDeliveryState, string> = { pending: 'Pending', succeeded: 'Succeeded', failed: 'Failed' };

function DeliveryState({ state }: { state: WebhookDeliveryState }) {
  return (
    <span className={`badge badge-delivery-${state}`} data-state={state}>
      <span className="badge-dot" aria-hidden="true" />
      {STATE_LABELS[state]}
    </span>
  );
}

const formatMs = (ms: number) => (ms < 1000 ? `${formatNumber(Math.round(ms))} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);

function Attempts({ attempts }: { attempts: WebhookAttempt[] }) {
  if (attempts.length === 0) return <p className="muted delivery-none">No attempt yet.</p>;
  return (
    <DataTable
      className="attempts-table"
      caption="Attempts"
      columns={[
        { name: '#', numeric: true },
        { name: 'Time' },
        { name: 'HTTP status' },
        { name: 'Duration', numeric: true },
        { name: 'Error' },
      ]}
    >
      {attempts.map((attempt, index) => (
        <tr key={`${attempt.at}-${index}`} className="attempt">
          <td className="numeric">{index + 1}</td>
          <td className="nowrap">
            <time dateTime={attempt.at}>{formatDateTime(attempt.at)}</time>
          </td>
          <td>
            {attempt.httpStatus === null ? (
              <span className="muted">no answer</span>
            ) : (
              <code className={`http-status ${attempt.httpStatus >= 200 && attempt.httpStatus < 300 ? 'text-good' : 'text-bad'}`}>
                {attempt.httpStatus}
              </code>
            )}
          </td>
          <td className="numeric nowrap">{formatMs(attempt.durationMs)}</td>
          <td className="message">{attempt.error ?? <span className="muted">—</span>}</td>
        </tr>
      ))}
    </DataTable>
  );
}

/** Where a delivery went: on an endpoint's page, the import it tells about; on an import's page, the receiver. */
function Target({ delivery, show, linkEndpoints }: { delivery: WebhookDelivery; show: 'import' | 'receiver'; linkEndpoints: boolean }) {
  if (show === 'import') {
    return (
      <span>
        Import <Link to={`/admin/imports/${delivery.importId}`}>{delivery.importId.slice(0, 8)}</Link>
      </span>
    );
  }
  if (delivery.endpointId === null) {
    return (
      <span>
        <span className="mono delivery-url">{delivery.url}</span> <span className="muted">(the import&apos;s webhook URL)</span>
      </span>
    );
  }
  return linkEndpoints ? (
    <Link to={`/admin/webhooks/${delivery.endpointId}`} className="mono delivery-url">
      {delivery.url}
    </Link>
  ) : (
    <span className="mono delivery-url">{delivery.url}</span>
  );
}

function ReplayButton({ delivery, onReplayed }: { delivery: WebhookDelivery; onReplayed: (next: WebhookDelivery) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const replay = async () => {
    setBusy(true);
    setError(null);
    try {
      onReplayed(await api.post<WebhookDelivery>(`/webhook-deliveries/${delivery.id}/replay`));
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        className="button button-small"
        disabled={busy}
        aria-label={`Replay ${delivery.messageId}`}
        onClick={() => void replay()}
      >
        {busy ? 'Replaying…' : 'Replay'}
      </button>
      {error && (
        <span className="text-bad" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

/**
 * The delivery log of an endpoint (`/webhooks/:id/deliveries`) or of an import (`/imports/:id/deliveries`),
 * newest first, a page at a time: each message with its state, every attempt and the next one; read again
 * while a delivery on the page is pending, every 30 s on the first page, and whenever `reloadKey` changes.
 */
export function DeliveryLog({
  path,
  show,
  canReplay,
  linkEndpoints = canReplay,
  reloadKey,
  empty,
}: {
  path: string;
  /** What the "to" column shows: the import (an endpoint's log) or the receiver (an import's log). */
  show: 'import' | 'receiver';
  canReplay: boolean;
  /** Whether a receiver links to its endpoint's page (admins only). */
  linkEndpoints?: boolean;
  reloadKey?: unknown;
  empty: string;
}) {
  const now = useNow();
  const trail = useCursorTrail();
  const [page, setPage] = useState<WebhookDeliveries | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [delay, setDelay] = useState(SENDING_REFRESH_MS);
  // Only the answer to the latest request is shown (pages turned quickly, a refresh racing a replay).
  const latest = useRef(0);

  const load = useCallback(() => {
    const request = ++latest.current;
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (trail.cursor) params.set('cursor', trail.cursor);
    return api.get<WebhookDeliveries>(`${path}?${params}`).then(
      (body) => {
        if (request !== latest.current) return;
        setPage(body);
        setDelay(refreshDelay(body.items, Date.now()));
        setError(null);
      },
      (failure: unknown) => {
        if (request === latest.current) setError(messageOf(failure));
      },
    );
  }, [path, trail.cursor]);

  useEffect(() => {
    void load();
  }, [load, reloadKey]);

  // The first page also shows new deliveries as they come (every 30 s when none is pending).
  const pending = page?.items.some((delivery) => delivery.state === 'pending') ?? false;
  useRefresh(pending || trail.page === 1, delay, load);

  const replayed = (next: WebhookDelivery) => {
    latest.current++; // a refresh in flight predates the replay
    setDelay(SENDING_REFRESH_MS);
    setPage((current) => current && { ...current, items: current.items.map((item) => (item.id === next.id ? next : item)) });
  };

  if (error && !page) return <Alert title="The deliveries could not be loaded">{error}</Alert>;
  if (!page) return <p className="muted">Loading the deliveries…</p>;
  if (page.items.length === 0 && trail.page === 1) return <p className="empty">{empty}</p>;
  return (
    <>
      {error && <Alert title="The deliveries could not be read again">{error}</Alert>}
      <ol className="deliveries">
        {page.items.map((delivery) => (
          <li key={delivery.id} className="delivery" data-delivery-id={delivery.id} aria-label={`Delivery ${delivery.messageId}`}>
            <div className="delivery-head">
              <DeliveryState state={delivery.state} />
              <code className="delivery-message" title="webhook-id: the same on every attempt and replay">
                {delivery.messageId}
              </code>
              <code className="delivery-event">{delivery.eventType}</code>
              <Target delivery={delivery} show={show} linkEndpoints={linkEndpoints} />
              <span className="muted nowrap">
                created{' '}
                <time dateTime={delivery.createdAt} title={formatDateTime(delivery.createdAt)}>
                  {formatAge(delivery.createdAt, now)}
                </time>
              </span>
              {delivery.state === 'pending' && (
                <span className="nowrap delivery-next">
                  {delivery.nextAttemptAt ? (
                    <>
                      next attempt <time dateTime={delivery.nextAttemptAt}>{formatDateTime(delivery.nextAttemptAt)}</time>
                    </>
                  ) : (
                    'sending'
                  )}
                </span>
              )}
              {canReplay && (
                <span className="delivery-actions">
                  <ReplayButton delivery={delivery} onReplayed={replayed} />
                </span>
              )}
            </div>
            <Attempts attempts={delivery.attempts} />
          </li>
        ))}
      </ol>
      <Pager label="Delivery pages" trail={trail} nextCursor={page.nextCursor} />
    </>
  );
}
