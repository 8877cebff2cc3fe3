import { createHash, timingSafeEqual } from 'node:crypto';

/** Why a scrape is refused (401): the error body's `code` and `message` (docs/api.md, "Errors"). */
export interface ScrapeRefusal {
  code: 'unauthenticated' | 'invalid_token';
  message: string;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * `METRICS_TOKEN`: when set, a scrape must send `Authorization: Bearer <it>`; null when the request may
 * read the metrics. Compared in constant time (as digests, whatever the lengths).
 */
export function refuseScrape(authorization: string | undefined, token: string | undefined): ScrapeRefusal | null {
  if (!token) return null;
  if (!authorization) return { code: 'unauthenticated', message: 'Metrics require Authorization: Bearer <METRICS_TOKEN>.' };
  const sent = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  if (!sent || !timingSafeEqual(digest(sent), digest(token))) {
    return { code: 'invalid_token', message: 'The bearer token is not the metrics token.' };
  }
  return null;
}
