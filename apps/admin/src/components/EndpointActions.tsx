import { useState } from 'react';
import type { WebhookEndpoint, WebhookEndpointPatch } from '@importer/contracts';
import '../webhooks.css';
import { api, messageOf } from '../api';
import { ConfirmButton } from './ConfirmButton';

/** Enable or disable an endpoint, or delete it (after a confirmation); its deliveries stay in the log. */
export function EndpointActions({
  endpoint,
  onChanged,
  onDeleted,
}: {
  endpoint: WebhookEndpoint;
  onChanged: (next: WebhookEndpoint) => void;
  onDeleted: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      onChanged(
        await api.patch<WebhookEndpoint>(`/webhooks/${endpoint.id}`, { enabled: !endpoint.enabled } satisfies WebhookEndpointPatch),
      );
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    await api.delete(`/webhooks/${endpoint.id}`);
    onDeleted();
  };

  return (
    <span className="endpoint-actions">
      <button
        type="button"
        className="button button-small"
        disabled={busy}
        aria-label={`${endpoint.enabled ? 'Disable' : 'Enable'} ${endpoint.url}`}
        onClick={() => void toggle()}
      >
        {endpoint.enabled ? 'Disable' : 'Enable'}
      </button>
      <ConfirmButton
        small
        label={`Delete ${endpoint.url}`}
        question="Delete this endpoint? It receives nothing more."
        confirm="Yes, delete it"
        onConfirm={remove}
      >
        Delete
      </ConfirmButton>
      {error && (
        <span className="text-bad" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}

/** "Enabled", or "Disabled" with the reason (a `410 Gone`, an admin). */
export function EndpointState({ endpoint }: { endpoint: WebhookEndpoint }) {
  if (endpoint.enabled) return <span className="text-good">Enabled</span>;
  return (
    <span>
      <span className="text-bad">Disabled</span>
      {endpoint.disabledReason && <span className="muted endpoint-reason">: {endpoint.disabledReason}</span>}
    </span>
  );
}
