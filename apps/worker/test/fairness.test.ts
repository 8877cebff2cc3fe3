/**
 * Fairness between users through the worker users run (the compiled bundle, two processes of two slots
 * each): with `IMPORTS_PER_USER=1`, one user's backlog never runs two of its imports at once and waits
 * without holding a slot, so another user's import starts meanwhile; every import ends once, on its first
 * attempt, with its exact totals. A trigger of the test's database logs every status change with the
 * user's count of `processing` imports in the same transaction.
 */
import type { ImportView } from '@importer/contracts';
import { COMPANY_HEADERS, companyRow, toCsv } from '@importer/testing';
import { startFaultHarness, type FaultHarness } from './support/fault-harness';

const A_ROWS = 3_000; // 30 chunks of 100: long enough for B to arrive while A's backlog waits
const B_ROWS = 200;

let h: FaultHarness;
beforeAll(async () => {
  h = await startFaultHarness({
    fastHandover: false,
    chunkSize: 100,
    workerEnv: { WORKER_CONCURRENCY: '2', IMPORTS_PER_USER: '1', IMPORTS_PER_USER_WAIT_MS: '100' },
  });
  await h.db.pool.query(`
    CREATE TABLE "test_status_log" ("seq" bigserial PRIMARY KEY, "import_id" uuid, "created_by" text, "status" text, "user_processing" int);
    CREATE FUNCTION "test_log_status"() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO "test_status_log" ("import_id", "created_by", "status", "user_processing")
      SELECT NEW."id", NEW."created_by", NEW."status", count(*) FROM "imports"
      WHERE "created_by" = NEW."created_by" AND "status" = 'processing';
      RETURN NEW;
    END $$;
    CREATE TRIGGER "test_log_status" AFTER UPDATE OF "status" ON "imports"
      FOR EACH ROW WHEN (OLD."status" IS DISTINCT FROM NEW."status") EXECUTE FUNCTION "test_log_status"();`);
});
afterAll(async () => {
  await h?.close();
});

async function tokenOf(name: string): Promise<string> {
  const created = await h.http.post('/api/v1/tokens').set(h.auth).send({ name, role: 'operator' });
  expect(created.status).toBe(201);
  return (created.body as { token: string }).token;
}

async function upload(token: string, rows: number, offset: number): Promise<ImportView> {
  const csv = toCsv(
    COMPANY_HEADERS,
    Array.from({ length: rows }, (_, i) => companyRow(offset + i)),
  );
  const response = await h.http
    .post('/api/v1/imports')
    .set('Authorization', `Bearer ${token}`)
    .field('profile', 'companies')
    .attach('file', Buffer.from(csv), 'companies.csv');
  expect(response.status).toBe(202);
  return response.body as ImportView;
}

interface Logged {
  seq: string;
  import_id: string;
  created_by: string;
  status: string;
  user_processing: number;
}

it('runs at most IMPORTS_PER_USER imports of one user at once, and another user’s import meanwhile', async () => {
  const workers = await Promise.all([h.startWorker('w1'), h.startWorker('w2')]);
  const [tokenA, tokenB] = await Promise.all([tokenOf('user-a'), tokenOf('user-b')]);

  const a = [];
  for (let i = 0; i < 3; i++) a.push(await upload(tokenA, A_ROWS, i * A_ROWS));
  const b = await upload(tokenB, B_ROWS, 10 * A_ROWS);
  const finished = await Promise.all([...a, b].map((created) => h.waitUntilFinished(created.id)));

  for (const [index, view] of finished.entries()) {
    const rows = index < 3 ? A_ROWS : B_ROWS;
    expect({ status: view.status, attempts: view.attempts, rows: view.totals.rows, created: view.totals.created }).toEqual({
      status: 'completed',
      attempts: 1,
      rows,
      created: rows,
    });
    expect(view.totals.updated + view.totals.unchanged + view.totals.failed).toBe(0);
  }
  expect(finished.map((view) => view.createdBy)).toEqual(['user-a', 'user-a', 'user-a', 'user-b']);

  const { rows: log } = await h.db.pool.query<Logged>(`SELECT * FROM "test_status_log" ORDER BY "seq"`);
  // Every claim and finish of A's imports saw at most one of them processing.
  const ofA = log.filter((entry) => entry.created_by === 'user-a');
  expect(Math.max(...ofA.map((entry) => entry.user_processing))).toBe(1);
  // Each import was claimed once and finished once; A's ran one after the other, never overlapping.
  expect(log.map((entry) => `${entry.import_id}:${entry.status}`).sort()).toEqual(
    [...a, b].flatMap((created) => [`${created.id}:processing`, `${created.id}:completed`]).sort(),
  );
  const aOrder = ofA.map((entry) => entry.status);
  expect(aOrder).toEqual(['processing', 'completed', 'processing', 'completed', 'processing', 'completed']);
  // B started while A's backlog was still waiting: before A's last import was claimed.
  const seqOf = (id: string, status: string) => Number(log.find((entry) => entry.import_id === id && entry.status === status)!.seq);
  const lastAClaim = Math.max(...a.map((created) => seqOf(created.id, 'processing')));
  expect(seqOf(b.id, 'processing')).toBeLessThan(lastAClaim);

  // A's backlog waited delayed (no attempt counted): the workers said so, and every job completed on its first attempt.
  const waits = workers.flatMap((worker) => worker.logs.filter((line) => line.msg.startsWith('import waits')));
  expect(waits.length).toBeGreaterThan(0);
  expect(new Set(waits.map((line) => line.importId)).has(b.id)).toBe(false);
  // A delivery that waited did not start: each import's start is logged once, by the delivery that claimed it.
  const starts = workers.flatMap((worker) => worker.logs.filter((line) => line.msg === 'import started'));
  expect(starts.map((line) => line.importId).sort()).toEqual([...a, b].map((created) => created.id).sort());
  for (const created of [...a, b]) {
    const job = await h.queue.getJob(created.id);
    expect({ id: created.id, state: await job?.getState(), attemptsMade: job?.attemptsMade }).toEqual({
      id: created.id,
      state: 'completed',
      attemptsMade: 1,
    });
  }
});
