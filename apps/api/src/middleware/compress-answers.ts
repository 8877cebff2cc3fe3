/**
 * gzip (or br, or deflate) for answers over 1 KB whose client accepts it (a page of imports: ≈ 20 KB → 2 KB), but
 * never for Server-Sent Events, whose messages must leave as they are written. Answers keep their weak ETag
 * (Express's, over the body), so a client that polls with `If-None-Match` gets `304` and no body at all.
 *
 * Two paths, one decision. An answer sent whole (`res.json`, `res.send`: every answer of the read path) is
 * compressed in one synchronous zlib call and sent with its `Content-Length`: a zlib stream per answer (what
 * the `compression` middleware builds) costs several times the compression itself (its native state, its
 * thread-pool round trip, its events). An answer written in pieces (`errors.csv`, a static file) or too large
 * to compress without holding up the event loop goes through the `compression` middleware's stream, which
 * makes the same decision.
 */
import zlib from 'node:zlib';
import compression from 'compression';
import type { Request, RequestHandler, Response } from 'express';
import Negotiator from 'negotiator';

const THRESHOLD = 1024;
/** Above this, a whole answer is left to the stream (compressed in the thread pool, not on the event loop). */
const WHOLE_MAX_BYTES = 256 * 1024;
const NO_TRANSFORM = /(?:^|,)\s*?no-transform\s*?(?:,|$)/i;
/** The `compression` middleware's choice: the client's preferred encoding, br then gzip on a tie. */
const ENCODINGS = ['br', 'gzip', 'deflate', 'identity'];
const PREFERRED = { preferred: ['br', 'gzip'] };
/** negotiator 1.x's `encoding` with its `preferred` option, which its types (@types/negotiator 0.6) predate. */
interface PreferringNegotiator {
  encoding(available: readonly string[], options: { preferred: readonly string[] }): string | undefined;
}
/** The `compression` middleware's default brotli quality: balanced speed and ratio. */
const BROTLI = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } };
/**
 * gzip and deflate of a whole answer at level 3, zlib's fastest strategy (levels 1 to 3 share it) at its best
 * ratio: a page of 20 imports (≈ 20 KB of JSON) costs ≈ 43 µs of CPU instead of ≈ 79 at the default level 6,
 * for ≈ 3 % more bytes (2,798 against 2,713). Dynamic JSON is compressed once per request, so the CPU counts
 * more than the last few percent of bytes.
 */
const WHOLE_ZLIB = { level: 3 };

const filter = (req: Request, res: Response) =>
  !String(res.getHeader('Content-Type') ?? '').startsWith('text/event-stream') && compression.filter(req, res);

/** The encoding a whole answer of `bytes` is sent in, when it is to be compressed here. */
function wholeAnswerEncoding(req: Request, res: Response, bytes: number): 'br' | 'gzip' | 'deflate' | null {
  if (bytes < THRESHOLD || bytes > WHOLE_MAX_BYTES || req.method === 'HEAD' || !filter(req, res)) return null;
  const cacheControl = res.getHeader('Cache-Control');
  if (cacheControl !== undefined && NO_TRANSFORM.test(String(cacheControl))) return null;
  if ((res.getHeader('Content-Encoding') ?? 'identity') !== 'identity') return null;
  const method = (new Negotiator(req) as unknown as PreferringNegotiator).encoding(ENCODINGS, PREFERRED);
  return method === 'br' || method === 'gzip' || method === 'deflate' ? method : null;
}

const COMPRESS = {
  br: (body: Buffer) =>
    zlib.brotliCompressSync(body, { ...BROTLI, params: { ...BROTLI.params, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } }),
  gzip: (body: Buffer) => zlib.gzipSync(body, WHOLE_ZLIB),
  deflate: (body: Buffer) => zlib.deflateSync(body, WHOLE_ZLIB),
};

export function compressAnswers(): RequestHandler {
  const stream = compression({ threshold: THRESHOLD, filter });
  return (req, res, next) => {
    // Installed after the stream's own wrappers, so that a whole answer is settled here before they see it: sent
    // compressed (with its Content-Encoding, which they leave alone), or handed to them as it came.
    stream(req, res, () => {
      const end = res.end.bind(res) as (...args: unknown[]) => Response;
      res.end = ((chunk?: unknown, encoding?: unknown, callback?: unknown) => {
        if (!res.headersSent && (typeof chunk === 'string' || Buffer.isBuffer(chunk))) {
          const body =
            typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : chunk;
          const method = wholeAnswerEncoding(req, res, body.length);
          if (method) {
            const compressed = COMPRESS[method](body);
            res.vary('Accept-Encoding');
            res.setHeader('Content-Encoding', method);
            res.setHeader('Content-Length', compressed.length);
            return end(compressed, typeof encoding === 'function' ? encoding : callback);
          }
        }
        return end(chunk, encoding, callback);
      }) as Response['end'];
      next();
    });
  };
}
