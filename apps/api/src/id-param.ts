import type { Request } from 'express';
import { isUuid } from '@importer/db';
import { notFound } from './errors';

/** The route's `:id`; one that is not a UUID names nothing: a 404 `what` (`Import`, `Active token`) not found. */
export function idParam(req: Request, what: string): string {
  const id = String(req.params.id);
  if (!isUuid(id)) throw notFound(`${what} ${id}`);
  return id;
}
