import { randomBytes, randomUUID } from 'node:crypto';
import type {
  CreatedWebhookEndpoint,
  Page,
  WebhookDelivery,
  WebhookDeliveryState,
  WebhookEndpoint,
  WebhookEndpointPatch,
  WebhookEvent,
} from '@importer/contracts';
import type { Queryable } from '../pool';
import { decodeImportsCursor, encodeCursor } from './cursors';

/*
 * Outgoing webhook endpoints and the delivery log, as the API shows them (docs/api.md, "Webhooks"). Plain
 * `pg`: the deliveries are written by the import lifecycle's finishing statement (the outbox) and by the
 * worker's attempts (`sql/webhook-deliveries.ts`); this module reads them and replays one.
 */

interface EndpointRow {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  disabled_reason: string | null;
  created_at: Date;
}

const ENDPOINT_COLUMNS = `"id", "url", "description", "events", "enabled", "disabled_reason", "created_at"`;

const toEndpoint = (row: EndpointRow): WebhookEndpoint => ({
  id: row.id,
  url: row.url,
  description: row.description,
  events: row.events,
  enabled: row.enabled,
  disabledReason: row.disabled_reason,
  createdAt: row.created_at.toISOString(),
});

interface DeliveryRow {
  id: string;
  message_id: string;
  endpoint_id: string | null;
  import_id: string;
  url: string;
  event_type: string;
  state: WebhookDeliveryState;
  next_attempt_at: Date | null;
  created_at: Date;
  /** The attempts, oldest first, as JSON built by the query. */
  attempts: { at: string; httpStatus: number | null; durationMs: number; error: string | null }[];
}

/** A delivery with its attempts (oldest first), one row per delivery. */
const DELIVERY_SELECT = `
  SELECT d."id", d."message_id", d."endpoint_id", d."import_id", d."url", d."event_type", d."state",
    d."next_attempt_at", d."created_at",
    COALESCE((SELECT json_agg(json_build_object(
        'at', to_char(a."attempted_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'httpStatus', a."http_status", 'durationMs', a."duration_ms", 'error', a."error")
        ORDER BY a."attempted_at", a."id")
      FROM "webhook_attempts" a WHERE a."delivery_id" = d."id"), '[]') AS "attempts"
  FROM "webhook_deliveries" d`;

const toDelivery = (row: DeliveryRow): WebhookDelivery => ({
  id: row.id,
  messageId: row.message_id,
  endpointId: row.endpoint_id,
  importId: row.import_id,
  url: row.url,
  eventType: row.event_type,
  state: row.state,
  attempts: row.attempts,
  nextAttemptAt: row.next_attempt_at ? row.next_attempt_at.toISOString() : null,
  createdAt: row.created_at.toISOString(),
});

/** A new signing secret: `whsec_` and the base64 of 32 random bytes (Standard Webhooks). */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export function createWebhooksRepository(db: Queryable) {
  return {
    /** Every endpoint, newest first. */
    async listEndpoints(): Promise<WebhookEndpoint[]> {
      const { rows } = await db.query<EndpointRow>(
        `SELECT ${ENDPOINT_COLUMNS} FROM "webhook_endpoints" ORDER BY "created_at" DESC, "id" DESC`,
      );
      return rows.map(toEndpoint);
    },

    async findEndpoint(id: string): Promise<WebhookEndpoint | null> {
      const { rows } = await db.query<EndpointRow>(`SELECT ${ENDPOINT_COLUMNS} FROM "webhook_endpoints" WHERE "id" = $1`, [id]);
      return rows[0] ? toEndpoint(rows[0]) : null;
    },

    /** Creates an enabled endpoint with a new secret, returned this once. */
    async createEndpoint(input: {
      url: string;
      description?: string | null;
      events?: WebhookEvent[];
      createdBy: string | null;
    }): Promise<CreatedWebhookEndpoint> {
      const secret = newWebhookSecret();
      const { rows } = await db.query<EndpointRow>(
        `INSERT INTO "webhook_endpoints" ("id", "url", "description", "secret", "events", "created_by")
         VALUES ($1, $2, $3, $4, COALESCE($5::text[], '{import.finished}'), $6)
         RETURNING ${ENDPOINT_COLUMNS}`,
        [randomUUID(), input.url, input.description || null, secret, input.events ?? null, input.createdBy],
      );
      return { ...toEndpoint(rows[0]!), secret };
    },

    /** Enables (clearing the reason) or disables an endpoint, or changes its note; null when there is none. */
    async updateEndpoint(id: string, patch: WebhookEndpointPatch): Promise<WebhookEndpoint | null> {
      const { rows } = await db.query<EndpointRow>(
        `UPDATE "webhook_endpoints" SET
           "enabled" = COALESCE($2, "enabled"),
           "disabled_reason" = CASE WHEN $2 IS NULL THEN "disabled_reason" WHEN $2 THEN NULL ELSE 'Disabled by an admin' END,
           "description" = CASE WHEN $3 THEN NULLIF($4, '') ELSE "description" END
         WHERE "id" = $1
         RETURNING ${ENDPOINT_COLUMNS}`,
        [id, patch.enabled ?? null, patch.description !== undefined, patch.description ?? null],
      );
      return rows[0] ? toEndpoint(rows[0]) : null;
    },

    /** Deletes an endpoint and its delivery log; false when there is none. */
    async deleteEndpoint(id: string): Promise<boolean> {
      const { rowCount } = await db.query(`DELETE FROM "webhook_endpoints" WHERE "id" = $1`, [id]);
      return rowCount === 1;
    },

    /** Deliveries of an endpoint or of an import, newest first, by (createdAt, id) keyset. */
    async listDeliveries(
      of: { endpointId: string } | { importId: string },
      page: { limit: number; cursor?: string },
    ): Promise<Page<WebhookDelivery>> {
      const after = page.cursor ? decodeImportsCursor(page.cursor) : null;
      const column = 'endpointId' in of ? 'endpoint_id' : 'import_id';
      const { rows } = await db.query<DeliveryRow>(
        `${DELIVERY_SELECT}
         WHERE d."${column}" = $1 AND ($2::timestamptz IS NULL OR (d."created_at", d."id") < ($2, $3::uuid))
         ORDER BY d."created_at" DESC, d."id" DESC LIMIT $4`,
        ['endpointId' in of ? of.endpointId : of.importId, after?.createdAt ?? null, after?.id ?? null, page.limit + 1],
      );
      const items = rows.slice(0, page.limit);
      const last = items.at(-1);
      return {
        items: items.map(toDelivery),
        nextCursor: rows.length > page.limit && last ? encodeCursor([last.created_at.toISOString(), last.id]) : null,
      };
    },

    async findDelivery(id: string): Promise<WebhookDelivery | null> {
      const { rows } = await db.query<DeliveryRow>(`${DELIVERY_SELECT} WHERE d."id" = $1`, [id]);
      return rows[0] ? toDelivery(rows[0]) : null;
    },

    /**
     * A replay: the same message (same `webhook-id`, same payload) is sent again; the delivery goes back to
     * `pending`, its past attempts kept. Null when there is none.
     */
    async replayDelivery(id: string): Promise<WebhookDelivery | null> {
      const { rowCount } = await db.query(
        `UPDATE "webhook_deliveries" SET "state" = 'pending', "next_attempt_at" = now(), "finished_at" = NULL WHERE "id" = $1`,
        [id],
      );
      return rowCount === 1 ? this.findDelivery(id) : null;
    },
  };
}

export type WebhooksRepository = ReturnType<typeof createWebhooksRepository>;
