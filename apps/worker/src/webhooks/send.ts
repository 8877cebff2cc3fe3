import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, isPrivateAddress, PrivateAddressError, urlHost } from './target';

/**
 * The Standard Webhooks headers of one attempt: `webhook-signature` is `v1,` and the base64 HMAC-SHA256 of
 * `<id>.<timestamp>.<body>`, keyed by the base64-decoded part of the `whsec_…` secret.
 */
function signedHeaders(secret: string, messageId: string, body: string, now = new Date()): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': messageId, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

export interface SendResult {
  /** The receiver's status; null when none came. */
  httpStatus: number | null;
  durationMs: number;
  /** Why the attempt failed; null for a 2xx. */
  error: string | null;
  /** The receiver's address was refused (private): retrying would not help. */
  refused: boolean;
}

/** Most bytes of an answer read (then the connection is dropped): receivers are only asked for a status. */
const MAX_ANSWER_BYTES = 64 * 1024;

export interface SendOptions {
  url: string;
  messageId: string;
  body: string;
  secret: string;
  /** Deadline of the whole attempt: connection, headers and answer (`WEBHOOK_TIMEOUT_MS`). */
  timeoutMs: number;
  allowPrivate: boolean;
}

/**
 * POSTs one signed attempt. Any 2xx succeeds; a redirect is not followed (a failed attempt); a receiver
 * whose address is private is refused before any byte is sent, unless `allowPrivate`.
 */
export async function sendWebhook(options: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const done = (httpStatus: number | null, error: string | null, refused = false): SendResult => ({
    httpStatus,
    durationMs: Math.round(performance.now() - started),
    error,
    refused,
  });
  const url = new URL(options.url);
  const host = urlHost(url);
  if (isIP(host) && !options.allowPrivate && isPrivateAddress(host)) return done(null, new PrivateAddressError(host, host).message, true);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Importer-Webhooks/1',
    ...signedHeaders(options.secret, options.messageId, options.body),
  };
  const signal = AbortSignal.timeout(options.timeoutMs);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    const request = client.request(
      url,
      { method: 'POST', headers, signal, lookup: guardedLookup(options.allowPrivate), agent: false },
      (response) => {
        const status = response.statusCode ?? 0;
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) response.destroy();
        });
        const settle = () => resolve(done(status, statusError(status, response.headers.location)));
        response.once('end', settle);
        response.once('close', settle);
        response.once('error', settle);
      },
    );
    request.once('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof PrivateAddressError) return resolve(done(null, error.message, true));
      resolve(done(null, requestError(error, options.timeoutMs)));
    });
    request.end(options.body);
  });
}

function statusError(status: number, location: string | undefined): string | null {
  if (status >= 200 && status < 300) return null;
  if (status >= 300 && status < 400)
    return `HTTP ${status}: redirects are not followed${location ? ` (to ${location.slice(0, 200)})` : ''}`;
  if (status === 410) return 'HTTP 410 Gone: the endpoint was disabled';
  return `HTTP ${status}`;
}

/** An error without an answer, in words; never a stack. */
function requestError(error: NodeJS.ErrnoException, timeoutMs: number): string {
  if (error.name === 'AbortError' || error.name === 'TimeoutError' || error.code === 'ABORT_ERR') return `no answer within ${timeoutMs} ms`;
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'ECONNRESET':
      return 'connection reset by the receiver';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'receiver unreachable';
    default:
      return error.code ? `connection failed (${error.code})` : `connection failed: ${error.message}`;
  }
}
