import { z } from 'zod';
import { pageQuerySchema, pageSchema, timestampSchema } from './common';
import { WEBHOOK_DELIVERY_STATES, WEBHOOK_EVENTS } from './enums';

/** An http or https URL of at most 2,048 characters: where webhooks are sent. */
export const webhookUrlSchema = z
  .string()
  .trim()
  .max(2048)
  .pipe(z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }))
  .describe('An http(s) URL (at most 2,048 characters) that receives the signed webhook');

/** An endpoint as the API shows it: never its secret. */
export const webhookEndpointSchema = z
  .object({
    id: z.uuid(),
    url: z.string().describe('Where deliveries are POSTed'),
    description: z.string().nullable().describe("The admin's note, or `null`"),
    events: z.array(z.string()).describe('Subscribed events: `import.finished`'),
    enabled: z.boolean().describe('Disabled endpoints get no new deliveries'),
    disabledReason: z.string().nullable().describe('Why it was disabled (a receiver answered 410 Gone); `null` while enabled'),
    createdAt: timestampSchema,
  })
  .describe('An outgoing webhook endpoint, without its secret');
export type WebhookEndpoint = z.infer<typeof webhookEndpointSchema>;

/** `GET /webhooks`: every endpoint, newest first (not paginated). */
export const webhookEndpointListSchema = z
  .object({ items: z.array(webhookEndpointSchema) })
  .describe('Every webhook endpoint, newest first');
export type WebhookEndpointList = z.infer<typeof webhookEndpointListSchema>;

/** `POST /webhooks`. */
export const newWebhookEndpointSchema = z
  .object({
    url: webhookUrlSchema,
    description: z.string().trim().max(500).optional().describe('A note for admins (at most 500 characters)'),
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).optional().describe('Events to subscribe to; default `["import.finished"]`'),
  })
  .strict()
  .describe('The endpoint to create');
export type NewWebhookEndpoint = z.infer<typeof newWebhookEndpointSchema>;

/** The answer of `POST /webhooks` (201): the endpoint, with its signing secret shown this once. */
export const createdWebhookEndpointSchema = webhookEndpointSchema
  .extend({ secret: z.string().describe('`whsec_…`: the signing secret, shown only in this answer') })
  .describe('The created endpoint, with its signing secret');
export type CreatedWebhookEndpoint = z.infer<typeof createdWebhookEndpointSchema>;

/** `PATCH /webhooks/:id`: enable (after a 410) or disable, change the note. */
export const webhookEndpointPatchSchema = z
  .object({
    enabled: z.boolean().optional().describe('`true` re-enables (clearing `disabledReason`); `false` disables'),
    description: z.string().trim().max(500).nullable().optional().describe('The new note; `null` or blank clears it'),
  })
  .strict()
  .describe('What to change on an endpoint');
export type WebhookEndpointPatch = z.infer<typeof webhookEndpointPatchSchema>;

/** One try of a delivery. */
export const webhookAttemptSchema = z
  .object({
    at: timestampSchema.describe('When the attempt started'),
    httpStatus: z.number().int().nullable().describe("The receiver's HTTP status; `null` when none came (refused, unreachable, timeout)"),
    durationMs: z.number().int().nonnegative(),
    error: z.string().nullable().describe('Why the attempt failed; `null` when it succeeded'),
  })
  .describe('One attempt of a delivery');
export type WebhookAttempt = z.infer<typeof webhookAttemptSchema>;

/** A delivery: one message (one `webhook-id`) to one target, with every attempt. */
export const webhookDeliverySchema = z
  .object({
    id: z.uuid(),
    messageId: z.string().describe('`msg_…`: the `webhook-id` header, the same on every attempt and replay'),
    endpointId: z.uuid().nullable().describe("The endpoint; `null` for the import's own `webhookUrl`"),
    importId: z.uuid(),
    url: z.string(),
    eventType: z.string().describe('`import.finished`'),
    state: z.enum(WEBHOOK_DELIVERY_STATES).describe('`pending` (to be sent or retried), `succeeded` (a 2xx) or `failed`'),
    attempts: z.array(webhookAttemptSchema).describe('Oldest first'),
    nextAttemptAt: timestampSchema.nullable().describe('When the next attempt is due; `null` when none is'),
    createdAt: timestampSchema,
  })
  .describe('A webhook delivery and its attempts');
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;

/** `GET /webhooks/:id/deliveries` and `GET /imports/:id/deliveries`: a page. */
export const webhookDeliveriesQuerySchema = pageQuerySchema(100, 20).describe('Page of deliveries');
export type WebhookDeliveriesQuery = z.infer<typeof webhookDeliveriesQuerySchema>;

/** A page of deliveries, newest first. */
export const webhookDeliveriesPageSchema = pageSchema(webhookDeliverySchema).describe('Deliveries, newest first');
export type WebhookDeliveries = z.infer<typeof webhookDeliveriesPageSchema>;

/** `POST /webhook-deliveries/:id/replay` (202): the delivery, `pending` again. */
export const replayedWebhookDeliverySchema = webhookDeliverySchema.describe('The delivery, pending again: the same message is sent anew');
