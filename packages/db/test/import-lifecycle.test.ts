import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@importer/testing';
import {
  ACTIVE_STATUSES,
  beginSyncImport,
  cancelImport,
  chunkFence,
  claimImport,
  finishImport,
  FINISHED_STATUSES,
  idleActiveImports,
  IMPORT_STATUSES,
  IMPORT_TRANSITIONS,
  isAllowed,
  finishRevert,
  retryImport,
  revertFence,
  REVERTING_STATUSES,
  startRevert,
  type ImportAction,
  type ImportRef,
  type ImportStatus,
} from '../src';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

/** The lifecycle as documented (docs/ARCHITECTURE.md, "Import lifecycle"): from → to for each action; any other start is refused. */
const DOCUMENTED: Record<ImportAction, Partial<Record<ImportStatus, readonly ImportStatus[]>>> = {
  claim: { queued: ['processing'], processing: ['processing'] },
  sync: { queued: ['processing'] },
  finish: { processing: ['completed', 'completed_with_errors', 'failed'] },
  cancel: { queued: ['cancelled'], processing: ['cancelled'] },
  retry: { failed: ['queued'], cancelled: ['queued'] },
  revert: { completed: ['reverting'], completed_with_errors: ['reverting'] },
  finishRevert: { reverting: ['reverted'] },
};

interface Stored {
  status: ImportStatus;
  attempts: number;
  checkpoint_row: number;
  started: boolean;
  finished: boolean;
  error_code: string | null;
  progress_percent: number;
  eta_seconds: number | null;
}

/** An import as the steps before left it: in `status`, one attempt made, 40 rows in, an error if finished badly, ended a minute ago if it ended. */
async function importIn(status: ImportStatus, options: { purged?: boolean } = {}): Promise<string> {
  const id = randomUUID();
  await db.pool.query(
    `INSERT INTO "imports" ("id", "profile", "status", "file_name", "file_size", "file_sha256", "file_key", "file_format",
       "attempts", "checkpoint_row", "rows_total", "progress_percent", "eta_seconds", "started_at", "finished_at",
       "error_code", "error_message", "file_purged_at", "updated_at")
     VALUES ($1, 'companies', $2, 'c.csv', 1, $3, $4, 'csv', 1, 41, 40, 40, 30, now() - interval '1 hour',
       CASE WHEN $5 THEN now() - interval '1 minute' END, $6, $7, CASE WHEN $8 THEN now() END, now() - interval '1 hour')`,
    [
      id,
      status,
      '0'.repeat(64),
      `${id}.csv`,
      FINISHED_STATUSES.includes(status) || REVERTING_STATUSES.includes(status),
      status === 'failed' ? 'internal_error' : null,
      status === 'failed' ? 'boom' : null,
      options.purged ?? false,
    ],
  );
  return id;
}

async function stored(id: string): Promise<Stored> {
  const { rows } = await db.pool.query<Stored>(
    `SELECT "status", "attempts", "checkpoint_row", "started_at" IS NOT NULL AS "started", "finished_at" IS NOT NULL AS "finished",
       "error_code", "progress_percent", "eta_seconds"
     FROM "imports" WHERE "id" = $1`,
    [id],
  );
  return rows[0]!;
}

/** Each action as the worker and the API call it, answering whether the import moved. */
const ACTS: { action: ImportAction; to: ImportStatus; run: (id: string) => Promise<boolean> }[] = [
  { action: 'claim', to: 'processing', run: (id) => claimImport(db.pool, id) },
  { action: 'sync', to: 'processing', run: (id) => beginSyncImport(db.pool, id) },
  { action: 'finish', to: 'completed', run: (id) => finishImport(db.pool, id, 'completed') },
  { action: 'finish', to: 'completed_with_errors', run: (id) => finishImport(db.pool, id, 'completed_with_errors') },
  { action: 'finish', to: 'failed', run: (id) => finishImport(db.pool, id, 'failed', { code: 'timeout', message: 'too long' }) },
  { action: 'cancel', to: 'cancelled', run: async (id) => (await cancelImport(db.pool, id)).outcome === 'done' },
  { action: 'retry', to: 'queued', run: async (id) => (await retryImport(db.pool, id)).outcome === 'done' },
  {
    action: 'revert',
    to: 'reverting',
    run: async (id) => (await startRevert(db.pool, id, { retainDays: 30, requestedBy: 'test' })).outcome === 'done',
  },
  { action: 'finishRevert', to: 'reverted', run: (id) => finishRevert(db.pool, id) },
];

describe('the import lifecycle', () => {
  it('declares the statuses the database accepts, and the transitions as documented', async () => {
    const { rows } = await db.pool.query<{ definition: string }>(
      `SELECT pg_get_constraintdef("oid") AS "definition" FROM pg_constraint
       WHERE "conrelid" = 'imports'::regclass AND "contype" = 'c' AND pg_get_constraintdef("oid") LIKE '%status%'`,
    );
    expect([...rows[0]!.definition.matchAll(/'(\w+)'/g)].map((match) => match[1]).sort()).toEqual([...IMPORT_STATUSES].sort());
    for (const [action, edges] of Object.entries(DOCUMENTED) as [ImportAction, Record<string, ImportStatus[]>][]) {
      expect([...IMPORT_TRANSITIONS[action].from].sort()).toEqual(Object.keys(edges).sort());
      for (const to of Object.values(edges)) expect([...IMPORT_TRANSITIONS[action].to].sort()).toEqual([...to].sort());
    }
    expect([...ACTIVE_STATUSES].sort()).toEqual(['processing', 'queued']);
    expect([...FINISHED_STATUSES].sort()).toEqual(['cancelled', 'completed', 'completed_with_errors', 'failed', 'reverted']);
  });

  describe.each(IMPORT_STATUSES)('from %s', (from) => {
    it.each(ACTS.map((act) => [`${act.action} → ${act.to}`, act] as const))(
      '%s moves the import only as documented',
      async (_name, act) => {
        const id = await importIn(from);
        const before = await stored(id);
        const allowed = DOCUMENTED[act.action][from]?.includes(act.to) ?? false;
        expect(isAllowed(act.action, from)).toBe(allowed);

        expect(await act.run(id)).toBe(allowed);
        const after = await stored(id);
        if (!allowed) {
          expect(after).toEqual(before);
          return;
        }
        expect(after.status).toBe(act.to);
        expect(after.checkpoint_row).toBe(before.checkpoint_row); // every action keeps the checkpoint: a retry resumes there
        expect(after.attempts).toBe(before.attempts + (act.action === 'claim' ? 1 : 0));
        expect(after.started).toBe(true);
        // A revert (and its end) leave the import's own end as it was.
        expect(after.finished).toBe(['finish', 'cancel', 'revert', 'finishRevert'].includes(act.action));
        expect(after.error_code).toBe(act.to === 'failed' ? 'timeout' : act.action === 'claim' ? before.error_code : null);
        if (act.action === 'revert' || act.action === 'finishRevert') expect(after.progress_percent).toBe(before.progress_percent);
        if (act.to === 'completed' || act.to === 'completed_with_errors')
          expect(after).toMatchObject({ progress_percent: 100, eta_seconds: 0 });
        if (act.action === 'retry' || act.action === 'cancel' || act.to === 'failed') expect(after.eta_seconds).toBeNull();
      },
    );

    it('refuses a retry once the file was purged, and says why', async () => {
      const id = await importIn(from, { purged: true });
      const answer = await retryImport(db.pool, id);
      expect(answer).toEqual(isAllowed('retry', from) ? { outcome: 'file_purged' } : { outcome: 'conflict', status: from });
      expect((await stored(id)).status).toBe(from);
    });

    it('lets a chunk commit only while processing (the chunk fence)', async () => {
      const id = await importIn(from);
      const { rowCount } = await db.pool.query(`SELECT 1 FROM "imports" im WHERE im."id" = $1 AND ${chunkFence('im')}`, [id]);
      expect(rowCount).toBe(from === 'processing' ? 1 : 0);
    });

    it('lets a revert chunk commit only while reverting (the revert fence)', async () => {
      const id = await importIn(from);
      const { rowCount } = await db.pool.query(`SELECT 1 FROM "imports" im WHERE im."id" = $1 AND ${revertFence('im')}`, [id]);
      expect(rowCount).toBe(isAllowed('finishRevert', from) ? 1 : 0);
    });

    it('refuses a revert of a dry run, or once the lineage expired, and says why', async () => {
      const dry = await importIn(from);
      await db.pool.query(`UPDATE "imports" SET "options" = '{"dryRun": true}' WHERE "id" = $1`, [dry]);
      const old = await importIn(from);
      await db.pool.query(`UPDATE "imports" SET "finished_at" = now() - interval '31 days' WHERE "id" = $1`, [old]);
      const conflict = { outcome: 'conflict', status: from };
      const allowed = isAllowed('revert', from);
      expect(await startRevert(db.pool, dry, { retainDays: 30, requestedBy: null })).toEqual(allowed ? { outcome: 'dry_run' } : conflict);
      expect(await startRevert(db.pool, old, { retainDays: 30, requestedBy: null })).toEqual(
        allowed ? { outcome: 'lineage_expired' } : conflict,
      );
      expect((await stored(dry)).status).toBe(from);
      expect((await stored(old)).status).toBe(from);
    });
  });

  it('answers an action on an unknown import', async () => {
    const unknown = randomUUID();
    expect(await claimImport(db.pool, unknown)).toBe(false);
    expect(await beginSyncImport(db.pool, unknown)).toBe(false);
    expect(await finishImport(db.pool, unknown, 'completed')).toBe(false);
    expect(await cancelImport(db.pool, unknown)).toEqual({ outcome: 'not_found' });
    expect(await retryImport(db.pool, unknown)).toEqual({ outcome: 'not_found' });
    expect(await startRevert(db.pool, unknown, { retainDays: 30, requestedBy: null })).toEqual({ outcome: 'not_found' });
    expect(await finishRevert(db.pool, unknown)).toBe(false);
  });

  it('lists the active imports left idle, page by page, for the reconciler', async () => {
    await db.pool.query(`DELETE FROM "imports"`);
    const idle = new Map<string, ImportStatus>();
    for (const status of IMPORT_STATUSES) for (let n = 0; n < 2; n++) idle.set(await importIn(status), status);
    const busy = await importIn('processing');
    await db.pool.query(`UPDATE "imports" SET "updated_at" = now() WHERE "id" = $1`, [busy]);

    const seen: string[] = [];
    let after: ImportRef | null = null;
    for (;;) {
      const page = await idleActiveImports(db.pool, { idleMs: 60_000, after, limit: 3 });
      seen.push(...page.map((ref) => ref.id));
      if (page.length < 3) break;
      after = page.at(-1)!;
    }
    const expected = [...idle].filter(([, status]) => isAllowed('claim', status)).map(([id]) => id);
    expect(seen.sort()).toEqual(expected.sort());
  });
});

/** Source files of the apps, packages and scripts, relative to the root (tests set statuses up directly: left out). */
const ROOT = path.resolve(__dirname, '../../..');
function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', 'generated', 'dist', 'test'].includes(entry.name) ? [] : sources(file);
    return /\.(ts|tsx|mts|mjs)$/.test(entry.name) ? [file] : [];
  });
}
const SOURCES = ['apps', 'packages', 'scripts'].flatMap(sources);
const text = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('one owner of import statuses', () => {
  const owners = ['packages/contracts/src/import-status.ts', 'packages/db/src/import-lifecycle.ts'];
  const files = SOURCES.filter((file) => !owners.includes(file));
  const status = `'(?:${IMPORT_STATUSES.join('|')})'`;

  it('finds the sources it guards', () => {
    expect(files).toEqual(
      expect.arrayContaining(['packages/db/src/sql/record-chunk.ts', 'apps/worker/src/reconciler.ts', 'apps/admin/src/format.ts']),
    );
  });

  it('leaves every change of imports.status to the lifecycle module', () => {
    const sqlUpdate = /UPDATE\s+"?imports"?(?:\s+\w+)?\s+SET\b(?:(?!\bWHERE\b)[^`])*?"?\bstatus"?\s*=/i;
    const prismaUpdate = /\.import\.(?:update|updateMany|upsert)\(\{(?:(?!\}\);)[\s\S])*?\bstatus\b/;
    expect(files.filter((file) => sqlUpdate.test(text(file)) || prismaUpdate.test(text(file)))).toEqual([]);
  });

  it('writes no status as a literal in SQL: statements take the lifecycle constants', () => {
    const literal = new RegExp(`\\bstatus"?\\s*(?:=|<>|!=|\\bIN\\s*\\()\\s*${status}`, 'i');
    expect(files.filter((file) => literal.test(text(file)))).toEqual([]);
  });

  it('declares the status list once: no copy of it elsewhere', () => {
    // An array of two or more import statuses, one of them no BullMQ job state (BullMQ also has completed and failed).
    const list = /\[([^[\]]*)\]/g;
    const own = /'(?:queued|processing|completed_with_errors|cancelled)'/;
    const copies = files.filter((file) =>
      [...text(file).matchAll(list)].some(([, items]) => own.test(items!) && (items!.match(new RegExp(status, 'g'))?.length ?? 0) >= 2),
    );
    expect(copies).toEqual([]);
  });
});

describe('which database client does what', () => {
  it('sends no raw SQL through Prisma: hand-written statements run on plain pg', () => {
    const raw = /\$(?:queryRaw|executeRaw)(?:Unsafe)?\b/;
    expect(SOURCES.filter((file) => raw.test(text(file)))).toEqual([]);
  });
});
