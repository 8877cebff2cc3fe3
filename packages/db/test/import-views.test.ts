import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@importer/testing';
import { createImportsRepository, createPool, createPrisma, insertImport, toImportView, type PrismaClient } from '../src';

let db: TestDatabase;
let prisma: PrismaClient;
beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrisma(db.pool);
});
afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

/** Records with every kind of timestamp the view shows: fractions of 0 to 3 digits, empty ones, a revert, a purge. */
async function seed(): Promise<void> {
  const fractions = ['', '.1', '.12', '.123', '.57', '.999'];
  let parentId: string | null = null;
  for (const [i, fraction] of fractions.entries()) {
    const id = randomUUID();
    await insertImport(db.pool, {
      id,
      source: 'file',
      profile: 'companies',
      options: {},
      fileName: `f-${i}.csv`,
      fileSize: 2 ** 40 + i,
      fileSha256: '0'.repeat(64),
      fileKey: `${id}.csv`,
      fileFormat: 'csv',
      headers: ['siren', 'nom'],
      createdBy: 'test',
      parentId: i % 2 === 1 ? parentId : null,
    });
    parentId = id;
    await db.pool.query(
      `UPDATE "imports" SET "created_at" = $2, "started_at" = CASE WHEN $3 THEN "created_at" + interval '1.5 s' END,
         "finished_at" = CASE WHEN $3 THEN "created_at" + interval '2 s' END, "progress_percent" = 33.35, "rows_per_second" = 1234.5,
         "file_purged_at" = CASE WHEN $4 THEN now() END, "revert_started_at" = CASE WHEN $4 THEN now() END, "revert_rows" = 3
       WHERE "id" = $1`,
      [id, `2026-03-0${i + 1} 10:11:12${fraction}+00`, i % 3 !== 0, i === 4],
    );
  }
}

describe('the import records of the read path (one JSON value a record)', () => {
  beforeAll(seed);

  it.each(['UTC', 'America/St_Johns'])('are those Prisma reads, field for field, in a %s session', async (timeZone) => {
    const pool = createPool(`${db.url}?options=${encodeURIComponent(`-c TimeZone=${timeZone}`)}`, { max: 1 });
    try {
      const imports = createImportsRepository(prisma, pool);
      const stored = await prisma.import.findMany({
        include: { resubmissions: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] } },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      });
      const expected = stored.map(toImportView);
      const first = await imports.list({ limit: 4 });
      const rest = await imports.list({ limit: 4, cursor: first.nextCursor ?? undefined });
      expect([...first.items, ...rest.items]).toEqual(expected);
      expect(rest.nextCursor).toBeNull();
      for (const view of expected) expect(await imports.find(view.id)).toEqual(view);
    } finally {
      await pool.end();
    }
  });
});
