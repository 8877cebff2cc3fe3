import { ACTIVE_STATUSES, type ImportView } from '@importer/contracts';
import { DeliveryLog } from './DeliveryLog';

/** The import page's webhook deliveries: read again when the import finishes (its deliveries are recorded then). */
export function ImportDeliveries({ record, admin }: { record: ImportView; admin: boolean }) {
  const running = ACTIVE_STATUSES.includes(record.status);
  return (
    <section className="panel" aria-labelledby="deliveries-heading">
      <h2 id="deliveries-heading">Webhook deliveries</h2>
      {record.webhookUrl && (
        <p className="muted">
          This import&apos;s own webhook URL: <span className="mono delivery-url">{record.webhookUrl}</span>
        </p>
      )}
      <DeliveryLog
        path={`/imports/${record.id}/deliveries`}
        show="receiver"
        canReplay={admin}
        reloadKey={record.finishedAt}
        empty={running ? 'Webhooks are sent when the import finishes.' : 'No webhook was sent for this import.'}
      />
    </section>
  );
}
