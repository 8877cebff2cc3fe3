import { Router } from 'express';
import type { Logger } from 'pino';
import {
  newWebhookEndpointSchema,
  webhookDeliveriesQuerySchema,
  webhookEndpointPatchSchema,
  type WebhookDeliveries,
  type WebhookEndpointList,
} from '@importer/contracts';
import type { ImportsRepository, WebhooksRepository } from '@importer/db';
import { requeueWebhookDelivery, type WebhooksQueue } from '@importer/queue';
import { badRequest, notFound } from '../errors';
import { idParam } from '../id-param';
import { requireRole } from '../middleware/auth';
import { listIssues, parseOr, parseQuery } from '../validation';

export interface WebhooksRouteDeps {
  webhooks: WebhooksRepository;
  webhooksQueue: WebhooksQueue;
  /** `WEBHOOK_RETRY_SCHEDULE_S`: a replayed delivery's job gets one retry per delay. */
  webhookRetrySchedule: readonly number[];
  logger: Logger;
}

/** `/webhooks`, for admins: outgoing webhook endpoints (the secret is shown once) and each one's deliveries. */
export function webhooksRouter(deps: WebhooksRouteDeps): Router {
  const router = Router();
  router.use(requireRole('admin'));

  router.get('/', async (_req, res) => {
    const body: WebhookEndpointList = { items: await deps.webhooks.listEndpoints() };
    res.json(body);
  });

  router.post('/', async (req, res) => {
    const input = parseOr(newWebhookEndpointSchema, req.body, (issues) =>
      badRequest('invalid_webhook', `Send {"url", "description"?, "events"?} with an http(s) url: ${listIssues(issues)}`, issues),
    );
    const created = await deps.webhooks.createEndpoint({ ...input, createdBy: req.principal?.name ?? null });
    res.status(201).location(`${req.baseUrl}/${created.id}`).json(created);
  });

  router.patch('/:id', async (req, res) => {
    const id = idParam(req, 'Webhook endpoint');
    const patch = parseOr(webhookEndpointPatchSchema, req.body, (issues) =>
      badRequest('invalid_webhook', `Send {"enabled"?, "description"?}: ${listIssues(issues)}`, issues),
    );
    const updated = await deps.webhooks.updateEndpoint(id, patch);
    if (!updated) throw notFound(`Webhook endpoint ${id}`);
    res.json(updated);
  });

  router.delete('/:id', async (req, res) => {
    const id = idParam(req, 'Webhook endpoint');
    if (!(await deps.webhooks.deleteEndpoint(id))) throw notFound(`Webhook endpoint ${id}`);
    res.status(204).end();
  });

  router.get('/:id/deliveries', async (req, res) => {
    const query = parseQuery(webhookDeliveriesQuerySchema, req.query);
    const id = idParam(req, 'Webhook endpoint');
    if (!(await deps.webhooks.findEndpoint(id))) throw notFound(`Webhook endpoint ${id}`);
    const page: WebhookDeliveries = await deps.webhooks.listDeliveries({ endpointId: id }, query);
    res.json(page);
  });
  return router;
}

/** `POST /webhook-deliveries/:id/replay`, for admins: the same message sent again, with a fresh retry schedule. */
export function webhookDeliveriesRouter(deps: WebhooksRouteDeps): Router {
  const router = Router();
  router.use(requireRole('admin'));

  router.post('/:id/replay', async (req, res) => {
    const id = idParam(req, 'Webhook delivery');
    const replayed = await deps.webhooks.replayDelivery(id);
    if (!replayed) throw notFound(`Webhook delivery ${id}`);
    try {
      await requeueWebhookDelivery(deps.webhooksQueue, id, deps.webhookRetrySchedule, { now: true });
    } catch (error) {
      // The delivery is pending in PostgreSQL: the worker's reconciler enqueues it once Redis is back.
      deps.logger.warn({ err: error, deliveryId: id }, 'replay could not reach the queue; the reconciler enqueues it');
    }
    res.status(202).json(replayed);
  });
  return router;
}

/** `GET /imports/:id/deliveries`: the webhook deliveries of an import, for anyone who may read it. */
export function importDeliveriesRouter(deps: { webhooks: WebhooksRepository; imports: ImportsRepository }): Router {
  const router = Router();
  router.get('/:id/deliveries', async (req, res) => {
    const query = parseQuery(webhookDeliveriesQuerySchema, req.query);
    const id = idParam(req, 'Import');
    if (!(await deps.imports.find(id))) throw notFound(`Import ${id}`);
    const page: WebhookDeliveries = await deps.webhooks.listDeliveries({ importId: id }, query);
    res.json(page);
  });
  return router;
}
