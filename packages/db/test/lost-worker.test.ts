/**
 * A worker whose host is lost in the middle of a chunk, without closing its connection (power, network
 * cut), leaves its transaction open on the server, with the chunk's locks. The chunk writer's connection
 * has PostgreSQL end such a session within `lostWorkerTimeoutMs`, so the worker that takes the import over
 * gets the locks then, not once TCP gives up hours later (docs/deploy.md, "Many hosts").
 */
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@importer/testing';
import { companiesTable, createPool, openChunkWriter, type Pool, type PoolClient } from '../src';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

/** Opens a writer on the test's pool and hands over the connection it holds. */
async function writerConnection(lostWorkerTimeoutMs?: number, from: Pool = db.pool) {
  let held: PoolClient | undefined;
  const pool = {
    connect: async () => (held = await from.connect()),
  } as unknown as Pool;
  const options = { importId: randomUUID(), table: companiesTable, mode: 'upsert', dryRun: false, maxStoredErrors: 10 } as const;
  const writer = await openChunkWriter(pool, { ...options, lostWorkerTimeoutMs });
  return { writer, connection: held! };
}

const setting = async (connection: PoolClient, name: string) =>
  (await connection.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name];

it('ends the session of a writer left silent inside its transaction, and the next claim gets the import row', async () => {
  const id = randomUUID();
  await db.pool.query(
    `INSERT INTO "imports" ("id", "profile", "status", "file_name", "file_size", "file_sha256", "file_key", "file_format")
     VALUES ($1, 'companies', 'processing', 'c.csv', 1, $2, $3, 'csv')`,
    [id, '0'.repeat(64), `${id}.csv`],
  );
  const stored = async () =>
    (
      await db.pool.query<{ checkpoint: number; attempts: number }>(
        `SELECT "checkpoint_row" AS "checkpoint", "attempts" FROM "imports" WHERE "id" = $1`,
        [id],
      )
    ).rows[0]!;
  const before = await stored();
  const { writer, connection } = await writerConnection(1_000);
  try {
    // The server's error, then the connection's end: the first one says why.
    const ended = new Promise<Error & { code?: string }>((resolve) => connection.on('error', resolve));
    // As a chunk leaves it when its worker's host is lost: the import's row locked, nothing more said.
    await connection.query('BEGIN');
    await connection.query(`UPDATE "imports" SET "checkpoint_row" = "checkpoint_row" + 100 WHERE "id" = $1`, [id]);

    // Another worker's claim waits for the row, and gets it once PostgreSQL has ended the silent session.
    const claimed = await db.pool.query(`UPDATE "imports" SET "attempts" = "attempts" + 1 WHERE "id" = $1`, [id]);
    expect(claimed.rowCount).toBe(1);
    expect((await ended).code).toBe('25P03'); // idle_in_transaction_session_timeout
    expect(await stored()).toEqual({ checkpoint: before.checkpoint, attempts: before.attempts + 1 }); // the lost chunk rolled back
  } finally {
    await writer.close();
  }
});

it('probes its connection with keepalives, for a worker gone in the middle of a COPY, and gives it back as it was', async () => {
  const single = createPool(db.url, { max: 1 });
  try {
    const { writer, connection } = await writerConnection(undefined, single);
    try {
      expect(await setting(connection, 'idle_in_transaction_session_timeout')).toBe('1min');
      expect(await setting(connection, 'tcp_user_timeout')).toBe('60000');
      // Over TCP (the tests' 127.0.0.1): 30 s of silence, then 3 probes 10 s apart.
      expect([await setting(connection, 'tcp_keepalives_idle'), await setting(connection, 'tcp_keepalives_interval')]).toEqual([
        '30',
        '10',
      ]);
      expect(await setting(connection, 'synchronous_commit')).toBe('off');
    } finally {
      await writer.close();
    }
    // The pool's next user of that connection (its only one) finds the server's defaults.
    const again = await single.connect();
    try {
      expect(again).toBe(connection);
      expect(await setting(again, 'idle_in_transaction_session_timeout')).toBe('0');
      expect(await setting(again, 'synchronous_commit')).toBe('on');
    } finally {
      again.release();
    }
  } finally {
    await single.end();
  }
});
