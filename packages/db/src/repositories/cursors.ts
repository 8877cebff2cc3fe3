/**
 * Opaque keyset cursors: base64url of the JSON array of the last item's sort key. A cursor comes back from
 * the client, so each is checked in full (shape, types, ranges) before it reaches a query: a tampered one
 * is an `InvalidCursorError` (400), never a database error.
 */
import { isUuid } from '../ids';

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
  constructor() {
    super('cursor is not one this API returned');
  }
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** What `Date.prototype.toISOString` gives for the years PostgreSQL and JavaScript both hold. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** A positive PostgreSQL `bigint` (identity columns start at 1; 18 digits stay below 2^63). */
const BIGINT_ID = /^[1-9]\d{0,17}$/;
/** Largest PostgreSQL `integer`. */
const MAX_INT = 2_147_483_647;

export const encodeCursor = (parts: (string | number)[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');

function decodeParts(cursor: string, length: number): unknown[] {
  if (!BASE64URL.test(cursor)) throw new InvalidCursorError();
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (!Array.isArray(parts) || parts.length !== length) throw new InvalidCursorError();
  return parts;
}

/** `[createdAt, id]` of the imports list. */
export function decodeImportsCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = decodeParts(cursor, 2);
  if (typeof at !== 'string' || !ISO_INSTANT.test(at) || typeof id !== 'string' || !isUuid(id)) throw new InvalidCursorError();
  const createdAt = new Date(at);
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== at) throw new InvalidCursorError();
  return { createdAt, id };
}

/** `[row, id]` of an import's row errors. */
export function decodeRowErrorsCursor(cursor: string): { row: number; id: bigint } {
  const [row, id] = decodeParts(cursor, 2);
  if (!Number.isInteger(row) || (row as number) < 0 || (row as number) > MAX_INT || typeof id !== 'string' || !BIGINT_ID.test(id)) {
    throw new InvalidCursorError();
  }
  return { row: row as number, id: BigInt(id) };
}

/** The id of the last cleanup run of the previous page (a plain number, as the API has always given it). */
export function decodeIdCursor(cursor: string): string {
  if (!BIGINT_ID.test(cursor)) throw new InvalidCursorError();
  return cursor;
}
