import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { listenForDeliveries, pendingDeliveriesOf, type Pool } from '@importer/db';
import {
  enqueueWebhookDeliveries,
  WEBHOOK_BACKOFF,
  WEBHOOKS_QUEUE,
  webhookRetryDelayMs,
  type DeliverWebhookPayload,
  type WebhooksQueue,
} from '@importer/queue';
import { deliverWebhookProcessor, type DeliverWebhookDeps, type DeliveryOutcome } from '../processors/deliver-webhook';

/** The BullMQ worker of the `webhooks` queue, its retries spaced by `WEBHOOK_RETRY_SCHEDULE_S`; not running until `run()`. */
export function createWebhookWorker(
  deps: DeliverWebhookDeps,
  options: { connection: ConnectionOptions; prefix: string; concurrency: number },
) {
  const worker = new Worker<DeliverWebhookPayload, DeliveryOutcome>(WEBHOOKS_QUEUE, deliverWebhookProcessor(deps), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    autorun: false,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string) =>
        type === WEBHOOK_BACKOFF ? webhookRetryDelayMs(deps.retrySchedule, attemptsMade) : 0,
    },
  });
  worker.on('error', (error) => deps.logger.warn({ err: error }, 'webhooks worker connection error'));
  return worker;
}

/**
 * Enqueues the deliveries of each import the outbox tells of, once its finishing transaction has committed
 * (one `addBulk` per import). Every worker listens; the job id (the delivery id) makes the others' adds no-ops.
 */
export function dispatchFinishedImports(deps: { pool: Pool; queue: WebhooksQueue; retrySchedule: readonly number[]; logger: Logger }) {
  return listenForDeliveries(
    deps.pool,
    (importId) => {
      pendingDeliveriesOf(deps.pool, importId)
        .then((ids) => enqueueWebhookDeliveries(deps.queue, ids, deps.retrySchedule))
        .catch((error: unknown) =>
          deps.logger.warn({ err: error, importId }, 'could not enqueue webhook deliveries; the reconciler enqueues them'),
        );
    },
    { onError: (error) => deps.logger.warn({ err: error }, 'webhook delivery notifications interrupted; listening again shortly') },
  );
}
