import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { deliveryToSend, recordWebhookAttempt, type Queryable, type WebhookAttemptRecord } from '@importer/db';
import { deliverWebhookPayload, webhookRetryDelayMs, type DeliverWebhookPayload } from '@importer/queue';
import { sendWebhook } from '../webhooks/send';

export interface DeliverWebhookDeps {
  pool: Queryable;
  logger: Logger;
  /** `WEBHOOK_SECRET`: signs deliveries to an import's own `webhookUrl`. */
  secret?: string;
  /** `WEBHOOK_RETRY_SCHEDULE_S`, in seconds. */
  retrySchedule: readonly number[];
  /** `WEBHOOK_TIMEOUT_MS`. */
  timeoutMs: number;
  /** `WEBHOOK_ALLOW_PRIVATE`. */
  allowPrivate: boolean;
}

/** How a delivery's job ended: `retry` is thrown (BullMQ waits the schedule's next delay), the rest returned or failed. */
export type DeliveryOutcome = 'succeeded' | 'retry' | 'failed' | 'gone' | 'refused' | 'skipped';

/**
 * Processor of the `deliver-webhook` job: one attempt of one delivery, recorded whatever happens. A 2xx
 * succeeds; a 410 disables the endpoint and ends the delivery; a refused (private) address ends it; any
 * other answer or error is retried after the schedule's next delay, the last attempt ending it `failed`.
 */
export function deliverWebhookProcessor(deps: DeliverWebhookDeps) {
  return async (job: Job<DeliverWebhookPayload>): Promise<DeliveryOutcome> => {
    const { deliveryId } = deliverWebhookPayload.parse(job.data);
    const log = deps.logger.child({ deliveryId, jobId: job.id, attempt: job.attemptsMade + 1 });
    const delivery = await deliveryToSend(deps.pool, deliveryId);
    // Gone (its import or endpoint deleted) or already ended (a duplicate job): nothing to send.
    if (!delivery || delivery.state !== 'pending') return 'skipped';

    const attemptedAt = new Date();
    const secret = delivery.endpointId ? delivery.endpointSecret : deps.secret;
    const attempt: Omit<WebhookAttemptRecord, 'state'> & { outcome: DeliveryOutcome } =
      delivery.endpointId && !delivery.endpointEnabled
        ? { deliveryId, attemptedAt, httpStatus: null, durationMs: 0, error: 'not sent: the endpoint is disabled', outcome: 'failed' }
        : !secret
          ? {
              deliveryId,
              attemptedAt,
              httpStatus: null,
              durationMs: 0,
              error: "not sent: WEBHOOK_SECRET is not set on the worker, so an import's own webhookUrl cannot be signed",
              outcome: 'failed',
            }
          : await send();

    async function send() {
      const result = await sendWebhook({
        url: delivery!.url,
        messageId: delivery!.messageId,
        body: delivery!.body,
        secret: secret!,
        timeoutMs: deps.timeoutMs,
        allowPrivate: deps.allowPrivate,
      });
      const outcome: DeliveryOutcome =
        result.error === null ? 'succeeded' : result.httpStatus === 410 ? 'gone' : result.refused ? 'refused' : 'retry';
      return { deliveryId, attemptedAt, httpStatus: result.httpStatus, durationMs: result.durationMs, error: result.error, outcome };
    }

    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const outcome: DeliveryOutcome = attempt.outcome === 'retry' && last ? 'failed' : attempt.outcome;
    await recordWebhookAttempt(deps.pool, {
      ...attempt,
      state: outcome === 'succeeded' ? 'succeeded' : outcome === 'retry' ? 'pending' : 'failed',
      retryInMs: outcome === 'retry' ? webhookRetryDelayMs(deps.retrySchedule, job.attemptsMade + 1) : undefined,
      disableEndpoint:
        outcome === 'gone' && delivery.endpointId ? `The receiver answered 410 Gone on ${attemptedAt.toISOString()}` : undefined,
    });
    log.info({ outcome, httpStatus: attempt.httpStatus, error: attempt.error, durationMs: attempt.durationMs }, 'webhook attempt');
    if (outcome === 'retry') throw new Error(attempt.error ?? 'webhook attempt failed');
    if (outcome !== 'succeeded') throw new UnrecoverableError(`${outcome}: ${attempt.error ?? ''}`);
    return outcome;
  };
}
