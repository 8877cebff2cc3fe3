/**
 * The per-user cap of the claim (`IMPORTS_PER_USER`, docs/failure-modes.md): claims racing for the last
 * place of one user give it to one of them only; a resumed attempt is not counted against itself; other
 * users, and imports without a user, are not held back.
 */
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase, pollUntil } from '@importer/testing';
import { claimImportWithinCap, type CappedClaim, type ImportStatus } from '../src';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function importOf(createdBy: string | null, status: ImportStatus = 'queued'): Promise<string> {
  const id = randomUUID();
  await db.pool.query(
    `INSERT INTO "imports" ("id", "profile", "status", "file_name", "file_size", "file_sha256", "file_key", "file_format", "created_by")
     VALUES ($1, 'companies', $2, 'c.csv', 1, $3, $4, 'csv', $5)`,
    [id, status, '0'.repeat(64), `${id}.csv`, createdBy],
  );
  return id;
}

async function stored(id: string): Promise<{ status: string; attempts: number }> {
  const { rows } = await db.pool.query<{ status: string; attempts: number }>(`SELECT "status", "attempts" FROM "imports" WHERE "id" = $1`, [
    id,
  ]);
  return rows[0]!;
}

async function processingOf(user: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS "n" FROM "imports" WHERE "created_by" = $1 AND "status" = 'processing'`,
    [user],
  );
  return rows[0]!.n;
}

/** Advisory locks other sessions of this test database wait for. */
async function waitingOnAdvisoryLocks(): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS "n" FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND NOT l.granted AND a.datname = current_database()`,
  );
  return rows[0]!.n;
}

/**
 * Runs `claims` at once: they are started while the user's lock is held by another session, and let go
 * together once every one of them waits on it, so that they truly race for the places.
 */
async function racingClaims(user: string, ids: string[], perUser: number): Promise<CappedClaim[]> {
  const holder = await db.pool.connect();
  try {
    await holder.query('BEGIN');
    await holder.query(`SELECT pg_advisory_xact_lock(hashtextextended('importer:user-imports' || chr(31) || $1, 0))`, [user]);
    const claims = ids.map((id) => claimImportWithinCap(db.pool, id, perUser));
    await pollUntil(waitingOnAdvisoryLocks, (waiting) => waiting >= ids.length, `the ${ids.length} claims waiting on the user's lock`, {
      timeoutMs: 30_000,
      everyMs: 0,
    });
    await holder.query('COMMIT');
    return await Promise.all(claims);
  } finally {
    holder.release();
  }
}

it('gives the last place of a user to one of two claims racing for it', async () => {
  for (let round = 0; round < 5; round++) {
    const user = `race-${round}`;
    const [first, second] = [await importOf(user), await importOf(user)];
    const answers = await racingClaims(user, [first, second], 1);
    expect([...answers].sort()).toEqual(['claimed', 'user_at_cap']);
    expect(await processingOf(user)).toBe(1);
    const loser = answers[0] === 'claimed' ? second : first;
    expect(await stored(loser)).toEqual({ status: 'queued', attempts: 0 }); // nothing changed, no attempt counted
  }
});

it('gives exactly the free places to many racing claims', async () => {
  const user = 'race-many';
  await importOf(user, 'processing');
  const ids = await Promise.all(Array.from({ length: 6 }, () => importOf(user)));
  const answers = await racingClaims(user, ids, 3);
  expect(answers.filter((answer) => answer === 'claimed')).toHaveLength(2);
  expect(answers.filter((answer) => answer === 'user_at_cap')).toHaveLength(4);
  expect(await processingOf(user)).toBe(3);
});

it('lets a resumed attempt go on at the cap, and frees the place when an import ends', async () => {
  const user = 'resume';
  const running = await importOf(user);
  const waiting = await importOf(user);
  expect(await claimImportWithinCap(db.pool, running, 1)).toBe('claimed');
  expect(await claimImportWithinCap(db.pool, waiting, 1)).toBe('user_at_cap');
  // The worker died; another delivery of the same import resumes it: not blocked by its own count.
  expect(await claimImportWithinCap(db.pool, running, 1)).toBe('claimed');
  expect(await stored(running)).toEqual({ status: 'processing', attempts: 2 });
  expect(await processingOf(user)).toBe(1);

  await db.pool.query(`UPDATE "imports" SET "status" = 'completed', "finished_at" = now() WHERE "id" = $1`, [running]);
  expect(await claimImportWithinCap(db.pool, running, 1)).toBe('not_claimable'); // a duplicate delivery
  expect(await claimImportWithinCap(db.pool, waiting, 1)).toBe('claimed');
  expect(await stored(waiting)).toEqual({ status: 'processing', attempts: 1 });
});

it('does not hold back another user, nor imports without a user', async () => {
  const busy = 'busy';
  expect(await claimImportWithinCap(db.pool, await importOf(busy), 1)).toBe('claimed');
  expect(await claimImportWithinCap(db.pool, await importOf(busy), 1)).toBe('user_at_cap');
  expect(await claimImportWithinCap(db.pool, await importOf('other'), 1)).toBe('claimed');
  expect(await claimImportWithinCap(db.pool, await importOf(null), 1)).toBe('claimed');
  expect(await claimImportWithinCap(db.pool, await importOf(null), 1)).toBe('claimed');
  expect(await claimImportWithinCap(db.pool, randomUUID(), 1)).toBe('not_claimable');
});
