/**
 * `/admin`: the admin UI (a single-page app built by Vite into apps/admin/dist) and Bull Board
 * (`/admin/queues`), both behind the admin UI's session. Anonymous visitors of a page are sent to the log-in
 * page; anonymous calls to Bull Board's API get 401.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { Router, type Request, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { UsersRepository } from '@importer/db';
import { IMPORTS_QUEUE, REVERTS_QUEUE } from '@importer/queue';
import { HttpError } from '../errors';
import { sessionPrincipal } from '../middleware/auth';
import type { SessionLayer } from '../sessions';

const BULL_BOARD_PATH = '/admin/queues';

export interface AdminDeps {
  users: UsersRepository;
  sessions: SessionLayer;
  /** Queues Bull Board shows (imports and cleanup). */
  queues: Queue[];
  /** Folder of the built UI (apps/admin/dist: `ADMIN_UI_DIR`). */
  dir: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const loginUrl = (next: string) => `/admin/login?next=${encodeURIComponent(next)}`;

/** Job data as ids only: uploaded content, file names and options never reach the board. */
function idsOnly(data: unknown): Record<string, unknown> {
  if (!data || typeof data !== 'object') return {};
  return Object.fromEntries(Object.entries(data).filter(([key]) => /(^id|Id)$/.test(key)));
}

/** One board per access level: bull-board's read-only mode is fixed per queue adapter. */
function createBoard(queues: Queue[], readOnlyMode: boolean): RequestHandler {
  const serverAdapter = new ExpressAdapter().setBasePath(BULL_BOARD_PATH);
  const adapters = queues.map((queue) => {
    const adapter = new BullMQAdapter(queue, {
      readOnlyMode,
      allowRetries: !readOnlyMode,
      externalJobUrl:
        queue.name === IMPORTS_QUEUE || queue.name === REVERTS_QUEUE
          ? (job) => ({ displayText: 'Open import', href: `/admin/imports/${encodeURIComponent(String(job.id))}` })
          : undefined,
    });
    adapter.setFormatter('data', idsOnly);
    return adapter;
  });
  createBullBoard({
    queues: adapters,
    // @bull-board/express pins its own copy of @bull-board/api: the same class, declared twice.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: {
      uiConfig: {
        boardTitle: readOnlyMode ? 'Importer queues (read-only)' : 'Importer queues',
        miscLinks: [{ text: 'Back to imports', url: '/admin' }],
        hideDocsLink: true,
      },
    },
  });
  return serverAdapter.getRouter() as RequestHandler;
}

const spaSecurity = helmet({
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
});

// Bull Board's page has inline styles and loads its fonts from Google; it runs no inline script.
const boardSecurity = helmet({
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
      fontSrc: ["'self'", 'https://fonts.gstatic.com', 'data:'],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
    },
  },
});

export function adminRouter(deps: AdminDeps): Router {
  const { dir } = deps;
  const router = Router();

  // Source maps would publish the UI's sources: the build emits none, and none is served should one be there.
  router.use((req, _res, next) =>
    next(/\.map\/?$/i.test(req.path) ? new HttpError(404, 'not_found', `No file ${req.originalUrl}`) : undefined),
  );

  router.use(async (req, _res, next) => {
    const principal = await sessionPrincipal(req, deps.users);
    if (principal) {
      req.principal = principal;
      req.authenticatedBy = 'session';
    }
    next();
  });

  const boards = { full: createBoard(deps.queues, false), readOnly: createBoard(deps.queues, true) };
  router.use(
    '/queues',
    boardSecurity,
    (req, res, next) => {
      if (req.principal) return next();
      if (req.path.startsWith('/api/')) throw new HttpError(401, 'unauthenticated', 'Log in to the admin UI to use Bull Board.');
      res.redirect(302, loginUrl(req.originalUrl));
    },
    deps.sessions.requireCsrfToken,
    (req, res, next) => {
      const admin = req.principal?.role === 'admin';
      if (!admin && !SAFE_METHODS.has(req.method)) throw new HttpError(403, 'forbidden', 'Bull Board is read-only for your role.');
      // Bull Board's axios sends the XSRF-TOKEN cookie back as a header on its actions.
      if (admin && req.method === 'GET' && !req.path.startsWith('/api/') && !req.path.startsWith('/static/'))
        deps.sessions.csrfToken(req, res);
      (admin ? boards.full : boards.readOnly)(req, res, next);
    },
  );

  // Built files have content hashes in their names: cached for good. A missing one is a 404, not a page.
  router.use('/assets', express.static(path.join(dir, 'assets'), { index: false, immutable: true, maxAge: '365d' }), (req) => {
    throw new HttpError(404, 'not_found', `No file ${req.originalUrl}`);
  });
  router.get('/favicon.svg', express.static(dir, { index: false, maxAge: '1d' }));

  // Every other page is the app's shell; the app routes in the browser.
  router.get('/{*page}', spaSecurity, (req: Request, res) => {
    const loginPage = req.path === '/login';
    if (!req.principal && !loginPage) return res.redirect(302, loginUrl(req.originalUrl));
    const index = path.join(dir, 'index.html');
    if (!existsSync(index)) {
      throw new HttpError(503, 'admin_ui_not_built', 'The admin UI is not built: run `npm run build` (npm start does it).');
    }
    if (req.principal) deps.sessions.csrfToken(req, res);
    res.set('Cache-Control', 'no-store').sendFile(index);
  });
  return router;
}
