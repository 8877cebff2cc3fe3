import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { ApiTokensRepository, ImportsRepository, Pool } from '@importer/db';
import type { ImportsQueue } from '@importer/queue';
import type { Redis } from 'ioredis';
import { authenticate } from './middleware/auth';
import { errorHandler, notFoundHandler } from './middleware/errors';
import { healthRouter } from './routes/health';
import { importsRouter } from './routes/imports';

export interface AppDeps {
  pool: Pool;
  redis: Redis;
  imports: ImportsRepository;
  tokens: ApiTokensRepository;
  queue: ImportsQueue;
  logger: Logger;
  storageDir: string;
  maxFileBytes: number;
  importAttempts: number;
  bootstrapToken?: string;
}

/** The HTTP application, with every dependency passed in: no side effects until someone listens. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      deps.logger.info({ method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(ms) }, 'request');
    });
    next();
  });
  app.use(healthRouter(deps));

  const api = express.Router();
  api.use(express.json({ limit: '2mb' }));
  api.use(authenticate({ tokens: deps.tokens, bootstrapToken: deps.bootstrapToken }));
  api.use('/imports', importsRouter(deps));
  app.use('/api/v1', api);

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger, { maxFileBytes: deps.maxFileBytes }));
  return app;
}
