import { readdir } from 'node:fs/promises';
import request from 'supertest';
import type { RedisSettings } from '@importer/config';
import type { ErrorBody } from '@importer/contracts';
import { startTestServices, testAppDeps } from '@importer/testing';
import { createApp, type AppDeps } from '../src/app';

/** The API app in process (supertest) on a database and queue prefix of its own; no worker. */
export async function startApi(
  options: { maxFileBytes?: number; bootstrapToken?: string; app?: Partial<AppDeps>; redis?: RedisSettings } = {},
) {
  const services = await startTestServices({ redis: options.redis, failFast: true, storagePrefix: 'importer-api-test-' });
  const { db, imports, tokens, users, prefix, redis, queue, storageDir } = services;
  const app = createApp(
    testAppDeps(services, { maxFileBytes: options.maxFileBytes ?? 1024 * 1024, bootstrapToken: options.bootstrapToken, ...options.app }),
  );
  const { token } = await tokens.create('api-test', 'admin');
  return {
    db,
    queue,
    tokens,
    token,
    prefix,
    redis,
    imports,
    users,
    app,
    http: request(app),
    storageDir,
    /** The services under the app, for a second app on the same database and Redis (`testAppDeps`). */
    services,
    /** Files left in storage (a refused upload must leave none). */
    storedFiles: () => readdir(storageDir),
    close: () => services.close(),
  };
}

export type ApiHarness = Awaited<ReturnType<typeof startApi>>;

/** The `error` of an error answer (docs/api.md, "Errors"); undefined for any other answer. */
export const errorOf = (response: { body: unknown }) => (response.body as Partial<ErrorBody>).error;
