import type { WebhookDeliveryState } from '@importer/contracts';
import type { Pool, PoolClient, Queryable } from '../pool';
import { WEBHOOK_DELIVERIES_CHANNEL } from './webhook-outbox';

/*
 * The worker's statements on webhook deliveries (docs/api.md, "Webhooks"): what to send, the record of each
 * attempt, the deliveries still to send (the listener's and the reconciler's look-ups).
 */

/** A delivery as its job sends it: the stored body, and the secret of its endpoint (null: WEBHOOK_SECRET's). */
export interface DeliveryToSend {
  id: string;
  messageId: string;
  url: string;
  /** The payload as stored: sent, and signed, byte for byte the same on every attempt. */
  body: string;
  state: WebhookDeliveryState;
  endpointId: string | null;
  endpointSecret: string | null;
  endpointEnabled: boolean | null;
}

export async function deliveryToSend(db: Queryable, id: string): Promise<DeliveryToSend | null> {
  const { rows } = await db.query<DeliveryToSend>(
    `SELECT d."id", d."message_id" AS "messageId", d."url", d."payload"::text AS "body", d."state",
       d."endpoint_id" AS "endpointId", e."secret" AS "endpointSecret", e."enabled" AS "endpointEnabled"
     FROM "webhook_deliveries" d LEFT JOIN "webhook_endpoints" e ON e."id" = d."endpoint_id"
     WHERE d."id" = $1`,
    [id],
  );
  return rows[0] ?? null;
}

export interface WebhookAttemptRecord {
  deliveryId: string;
  attemptedAt: Date;
  httpStatus: number | null;
  durationMs: number;
  error: string | null;
  /** The delivery after it: `pending` (a retry is due after `retryInMs`), `succeeded` or `failed`. */
  state: WebhookDeliveryState;
  retryInMs?: number;
  /** Disables the delivery's endpoint with this reason (a 410 Gone). */
  disableEndpoint?: string;
}

/** Records an attempt and its consequences (the delivery's state, a disabled endpoint) in one statement. */
export async function recordWebhookAttempt(db: Queryable, attempt: WebhookAttemptRecord): Promise<void> {
  await db.query(
    `WITH attempt AS (
       INSERT INTO "webhook_attempts" ("delivery_id", "attempted_at", "http_status", "duration_ms", "error")
       VALUES ($1, $2, $3, $4, $5)
     ), delivery AS (
       UPDATE "webhook_deliveries" SET "attempt_count" = "attempt_count" + 1, "state" = $6,
         "next_attempt_at" = CASE WHEN $6 = 'pending' THEN now() + make_interval(secs => $7) END,
         "finished_at" = CASE WHEN $6 = 'pending' THEN NULL ELSE now() END
       WHERE "id" = $1
       RETURNING "endpoint_id"
     )
     UPDATE "webhook_endpoints" SET "enabled" = false, "disabled_reason" = $8
     WHERE $8::text IS NOT NULL AND "id" = (SELECT "endpoint_id" FROM delivery)`,
    [
      attempt.deliveryId,
      attempt.attemptedAt,
      attempt.httpStatus,
      Math.round(attempt.durationMs),
      attempt.error,
      attempt.state,
      (attempt.retryInMs ?? 0) / 1000,
      attempt.disableEndpoint ?? null,
    ],
  );
}

/** The pending deliveries of an import: what a worker enqueues when told the import finished. */
export async function pendingDeliveriesOf(db: Queryable, importId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT "id" FROM "webhook_deliveries" WHERE "import_id" = $1 AND "state" = 'pending' ORDER BY "created_at", "id"`,
    [importId],
  );
  return rows.map((row) => row.id);
}

export interface DeliveryRef {
  id: string;
  createdAt: Date;
}

/**
 * Pending deliveries whose next attempt was due `idleMs` ago or more, oldest first, after `after`: a page of
 * the reconciler's pass, which makes sure each has a job (a delivery waiting for a retry is not due).
 */
export async function overdueDeliveries(
  db: Queryable,
  page: { idleMs: number; after: DeliveryRef | null; limit: number },
): Promise<DeliveryRef[]> {
  const { rows } = await db.query<DeliveryRef>(
    `SELECT "id", "created_at" AS "createdAt" FROM "webhook_deliveries"
     WHERE "state" = 'pending' AND COALESCE("next_attempt_at", "created_at") < now() - make_interval(secs => $1)
       AND ($2::timestamptz IS NULL OR ("created_at", "id") > ($2, $3::uuid))
     ORDER BY "created_at", "id" LIMIT $4`,
    [page.idleMs / 1000, page.after?.createdAt ?? null, page.after?.id ?? null, page.limit],
  );
  return rows;
}

/**
 * Listens for imports that finished with deliveries (the outbox's notification, sent at commit) and calls
 * `onImport` with each id. Holds one connection of `pool`; when it is lost, listens again after
 * `retryMs` (the reconciler enqueues what was missed meanwhile). `stop()` releases it.
 */
export function listenForDeliveries(
  pool: Pool,
  onImport: (importId: string) => void,
  options: { retryMs?: number; onError?: (error: unknown) => void } = {},
) {
  let client: PoolClient | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const retry = () => {
    if (stopped) return;
    timer = setTimeout(() => void listen(), options.retryMs ?? 5_000);
    timer.unref();
  };
  const listen = async () => {
    try {
      const connected = await pool.connect();
      client = connected;
      connected.on('notification', (message) => {
        if (message.channel === WEBHOOK_DELIVERIES_CHANNEL && message.payload) onImport(message.payload);
      });
      connected.once('error', (error: Error) => {
        options.onError?.(error);
        connected.release(error);
        if (client === connected) client = undefined;
        retry();
      });
      await connected.query(`LISTEN ${WEBHOOK_DELIVERIES_CHANNEL}`);
      if (stopped) {
        connected.release(true);
        client = undefined;
      }
    } catch (error) {
      options.onError?.(error);
      if (client) client.release(true);
      client = undefined;
      retry();
    }
  };
  const ready = listen();
  return {
    /** Resolves once the first attempt to listen has ended (listening, or waiting to try again). */
    ready,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await ready;
      // A listening connection goes back to no one: it is closed, not returned to the pool.
      client?.release(true);
      client = undefined;
    },
  };
}
