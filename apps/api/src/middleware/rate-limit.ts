/**
 * Rate limits kept in Redis (express-rate-limit + rate-limit-redis), so that every API process shares the
 * counts. Should Redis be unreachable, requests pass unlimited (logged): an outage must not block uploads,
 * which survive it otherwise (the reconciler enqueues them later).
 */
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Cluster } from 'ioredis';
import { RedisStore, type SendCommandClusterFn } from 'rate-limit-redis';
import type { RedisConnection } from '@importer/queue';
import type { Logger } from 'pino';
import { HttpError } from '../errors';

/** rate-limit-redis loads its scripts once at start; should Redis be down then, load them on next use. */
class ReconnectingRedisStore extends RedisStore {
  override async increment(key: string) {
    this.incrementScriptSha = this.incrementScriptSha.catch(() => this.loadIncrementScript());
    return super.increment(key);
  }
  override async get(key: string) {
    this.getScriptSha = this.getScriptSha.catch(() => this.loadGetScript());
    return super.get(key);
  }
}

/**
 * How the store sends its commands. Its keys live under the hash-tagged queue prefix, so each one (EVALSHA
 * with one key) goes to its slot's node; `SCRIPT LOAD` names no key, so on a Redis Cluster it loads the
 * script on every master (a NOSCRIPT on a node, after a failover, loads it again the same way).
 */
function storeCommands(redis: RedisConnection): SendCommandClusterFn {
  return async ({ command: [name = '', ...args] }) => {
    if (redis.isCluster && name.toUpperCase() === 'SCRIPT') {
      const masters = (redis as Cluster).nodes('master');
      if (masters.length === 0) throw new Error('Redis Cluster: no master node known yet');
      const [sha] = await Promise.all(masters.map((node) => node.call(name, ...args)));
      return sha as never;
    }
    return redis.call(name, ...args) as Promise<never>;
  };
}

interface LimitOptions {
  redis: RedisConnection;
  logger: Logger;
  /** Redis key prefix of this limit (under the queue prefix). */
  prefix: string;
  limit: number;
  windowMs: number;
  key: (req: Request) => string;
  /** Error code and message when the limit is reached. */
  code: string;
  message: (limit: number) => string;
  /** Which requests use the allowance: all, only those that succeed, or only those that fail. */
  count?: 'all' | 'successes' | 'failures';
}

function redisRateLimit(options: LimitOptions): RequestHandler {
  const redis = options.redis;
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: options.key,
    skipFailedRequests: options.count === 'successes',
    skipSuccessfulRequests: options.count === 'failures',
    passOnStoreError: true,
    logger: {
      warn: (error, message) => options.logger.warn({ err: error }, message ?? 'rate limit'),
      // At start the store loads its scripts before Redis is connected; it loads them again on first use
      // (`ReconnectingRedisStore`), so that failure is not an error worth an operator's attention.
      error: (error, message) =>
        message?.includes('store initialization')
          ? options.logger.debug({ err: error }, 'rate limit: Redis not connected yet; its scripts load on first use')
          : options.logger.error({ err: error }, message ?? 'rate limit'),
    },
    store: new ReconnectingRedisStore({
      prefix: options.prefix,
      sendCommandCluster: storeCommands(redis),
    }),
    handler: (req, res, next) => {
      const info = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit;
      const retryAfter = info?.resetTime ? Math.max(1, Math.ceil((info.resetTime.getTime() - Date.now()) / 1000)) : undefined;
      if (retryAfter) res.set('Retry-After', String(retryAfter));
      next(
        new HttpError(429, options.code, options.message(options.limit), { limit: options.limit, retryAfterSeconds: retryAfter ?? null }),
      );
    },
  });
}

/** `UPLOADS_PER_HOUR`: uploads per user (or API token) per hour, counted when accepted. */
export function uploadRateLimit(deps: {
  redis: RedisConnection;
  logger: Logger;
  queuePrefix: string;
  uploadsPerHour: number;
}): RequestHandler {
  return redisRateLimit({
    redis: deps.redis,
    logger: deps.logger,
    prefix: `${deps.queuePrefix}:rate:uploads:`,
    limit: deps.uploadsPerHour,
    windowMs: 3_600_000,
    key: (req) => req.principal?.id ?? ipKeyGenerator(req.ip ?? ''),
    code: 'too_many_uploads',
    message: (limit) => `You have reached the limit of ${limit} uploads per hour; try again later.`,
    count: 'successes',
  });
}

/** `SYNC_REQUESTS_PER_MINUTE`: `POST /sync/:profile` requests per API token or user per minute, every request counted. */
export function syncRateLimit(deps: {
  redis: RedisConnection;
  logger: Logger;
  queuePrefix: string;
  requestsPerMinute: number;
}): RequestHandler {
  return redisRateLimit({
    redis: deps.redis,
    logger: deps.logger,
    prefix: `${deps.queuePrefix}:rate:sync:`,
    limit: deps.requestsPerMinute,
    windowMs: 60_000,
    key: (req) => req.principal?.id ?? ipKeyGenerator(req.ip ?? ''),
    code: 'too_many_sync_requests',
    message: (limit) => `You have reached the limit of ${limit} sync requests per minute; try again after the time Retry-After gives.`,
  });
}

const LOGIN_WINDOW_MS = 15 * 60_000;
const clientAddress = (req: Request) => ipKeyGenerator(req.ip ?? '');

/** The e-mail address a log-in request names, as the key of its account (none when the body has no string `email`). */
function loginEmail(req: Request): string {
  const email = (req.body as { email?: unknown } | undefined)?.email;
  return typeof email === 'string' ? email.trim().toLowerCase() : '';
}

/**
 * Failed log-in attempts per e-mail address and client address (slows guessing one account's password),
 * then per client address alone (slows one address trying one password on many accounts: spraying).
 */
export function loginRateLimits(deps: {
  redis: RedisConnection;
  logger: Logger;
  queuePrefix: string;
  failuresPerAddress: number;
}): RequestHandler[] {
  const common = {
    redis: deps.redis,
    logger: deps.logger,
    windowMs: LOGIN_WINDOW_MS,
    code: 'too_many_attempts',
    count: 'failures',
  } as const;
  return [
    redisRateLimit({
      ...common,
      prefix: `${deps.queuePrefix}:rate:login-address:`,
      limit: deps.failuresPerAddress,
      key: clientAddress,
      message: (limit) => `Too many failed log-ins from your address (${limit} per 15 minutes); wait a few minutes and try again.`,
    }),
    redisRateLimit({
      ...common,
      prefix: `${deps.queuePrefix}:rate:login:`,
      limit: 10,
      key: (req) => `${loginEmail(req)}|${clientAddress(req)}`,
      message: (limit) => `Too many failed log-in attempts (${limit} per 15 minutes); wait a few minutes and try again.`,
    }),
  ];
}
