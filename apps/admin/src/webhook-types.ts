// Temporary: the shapes of the webhooks routes until packages/contracts has them (then imported from there).
export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  createdAt: string;
}
export type CreatedWebhookEndpoint = WebhookEndpoint & { secret: string };
export interface NewWebhookEndpoint {
  url: string;
  description?: string;
  events?: string[];
}
export interface WebhookEndpointPatch {
  enabled?: boolean;
  description?: string;
}
export interface WebhookEndpointList {
  items: WebhookEndpoint[];
}
export type WebhookDeliveryState = 'pending' | 'succeeded' | 'failed';
export interface WebhookAttempt {
  at: string;
  httpStatus: number | null;
  durationMs: number;
  error: string | null;
}
export interface WebhookDelivery {
  id: string;
  messageId: string;
  endpointId: string | null;
  importId: string;
  url: string;
  eventType: string;
  state: WebhookDeliveryState;
  attempts: WebhookAttempt[];
  nextAttemptAt: string | null;
  createdAt: string;
}
