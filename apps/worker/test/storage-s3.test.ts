/**
 * STORAGE_DRIVER=s3 end to end, on a real S3-compatible server (s3rver): uploads stream into the bucket, the
 * compiled worker reads them back from it, and each file stores exactly what the same file stores with the
 * `fs` driver (the reader corpus checks those values one by one); errors.csv, a missing object and the
 * cleanup work on the bucket too.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FINISHED_STATUSES } from '@importer/contracts';
import { runCleanup } from '@importer/imports';
import { enqueueImport } from '@importer/queue';
import { createFileStore, type FileStore } from '@importer/storage';
import { companyRow, COMPANY_HEADERS, recordImport, startTestS3, toCsv, type TestS3 } from '@importer/testing';
import { startFaultHarness, type FaultHarness } from './support/fault-harness';

const DAY_MS = 24 * 3600 * 1000;
const corpus = (file: string) => readFileSync(path.join(__dirname, 'corpus', file));

let s3: TestS3;
let files: FileStore;
/** The API with the s3 driver and a compiled worker started with STORAGE_DRIVER=s3. */
let onS3: FaultHarness;
/** The same with the fs driver, for comparison. */
let onFs: FaultHarness;

beforeAll(async () => {
  s3 = await startTestS3({ prefix: 'uploads' });
  files = createFileStore(s3.settings);
  onS3 = await startFaultHarness({ fastHandover: false, importAttempts: 1, fileStore: files });
  onFs = await startFaultHarness({ fastHandover: false, importAttempts: 1 });
  await Promise.all([onS3.startWorker('s3', s3.env), onFs.startWorker('fs')]);
  // Companies link to these subcategories through their NAF codes.
  const book = corpus('libreoffice-referentiel.xlsx');
  for (const h of [onS3, onFs]) {
    await h.importFile(book, 'referentiel.xlsx', { profile: 'categories' });
    await h.importFile(book, 'referentiel.xlsx', { profile: 'subcategories', sheet: 'Sous-catégories' });
  }
});
afterAll(async () => {
  await onS3?.close();
  await onFs?.close();
  await s3?.close();
});

const storedCompanies = async (h: FaultHarness) =>
  (
    await h.db.pool.query<Record<string, unknown>>(`
      SELECT c.siren, c.siret, c.nom, c.nom_commercial, c.adresse, c.code_postal, c.ville_nom, c.naf_code, c.naf_libelle,
        c.telephone, c.email_contact, c.site_web, c.is_active, s.nom AS subcategory, to_char(c.date_creation, 'YYYY-MM-DD') AS date_creation
      FROM companies c LEFT JOIN subcategories s ON s.id = c.subcategory_id ORDER BY c.siren`)
  ).rows;

/** The sirens of the corpus's six companies, in order. */
const SIRENS = ['300123452', '402832109', '443061841', '552100554', '732829320', '812345676'];

describe('STORAGE_DRIVER=s3, through the compiled worker', () => {
  it.each([
    ['libreoffice-utf8-semicolon.csv', {}],
    ['libreoffice-windows-1252-semicolon.csv', {}],
    ['libreoffice.xlsx', {}],
    ['gnumeric.xlsx', { sheet: 'Entreprises' }],
    ['libreoffice.xls', {}],
  ])('%s: stored in the bucket, read back, the same rows and totals as on fs', async (file, fields) => {
    const results = [];
    for (const h of [onS3, onFs]) {
      await h.db.pool.query('DELETE FROM companies');
      const result = await h.importFile(corpus(file), file, { profile: 'companies', ...fields });
      results.push({ result, rows: await storedCompanies(h) });
    }
    const [s3Side, fsSide] = results as [(typeof results)[0], (typeof results)[0]];
    expect({ status: s3Side.result.status, error: s3Side.result.error }).toEqual({ status: 'completed', error: null });
    expect(s3Side.result.totals).toEqual({ rows: 6, created: 6, updated: 0, unchanged: 0, skipped: 0, failed: 0, warnings: 0 });
    expect(s3Side.rows.map((row) => row.siren)).toEqual(SIRENS);
    expect(s3Side.rows).toEqual(fsSide.rows);
    expect(s3Side.result.totals).toEqual(fsSide.result.totals);
    expect(s3Side.result.file).toEqual({ ...fsSide.result.file });
    // The object is in the bucket under the import's key, with the bytes uploaded.
    const stored = await onS3.imports.get(s3Side.result.id);
    expect(await s3.objectKeys()).toContain(`uploads/${stored?.fileKey}`);
    expect((await files.stat(stored?.fileKey ?? '')).size).toBe(corpus(file).length);
  });

  it('serves errors.csv of an import whose file is in the bucket, as on fs', async () => {
    const rows = [companyRow(1), companyRow(2, { siren: '123' }), companyRow(3, { email_contact: 'not-an-email' })];
    const csvFile = toCsv(COMPANY_HEADERS, rows, { delimiter: ';' });
    const answers: string[] = [];
    for (const h of [onS3, onFs]) {
      const result = await h.importFile(csvFile, 'rejects.csv', { profile: 'companies' });
      expect(result.status).toBe('completed_with_errors');
      answers.push(await h.errorsCsv(result.id));
    }
    expect(answers[0]).toContain('123');
    expect(answers[0]).toEqual(answers[1]);
  });

  it('fails an import whose object is gone with file_missing', async () => {
    const id = await recordImport(onS3.db.pool, { fileKey: randomUUID() });
    await enqueueImport(onS3.queue, id, 1);
    const finished = await onS3.waitUntilFinished(id);
    expect({ status: finished.status, code: finished.error?.code }).toEqual({ status: 'failed', code: 'file_missing' });
  });

  it('the cleanup deletes the objects of purged imports, orphan objects and stale multipart uploads', async () => {
    const orphan = randomUUID();
    await files.write(orphan, Readable.from([Buffer.from('nobody imports me')]));
    await s3.beginUpload(`uploads/${randomUUID()}`);
    const finished = await onS3.db.pool.query<{ count: string }>('SELECT count(*) FROM imports WHERE status = ANY($1)', [
      FINISHED_STATUSES,
    ]);
    const keysBefore = await s3.objectKeys();
    expect(keysBefore.length).toBeGreaterThan(1);
    // Past RETAIN_FILES_DAYS for every import, and past the orphans' day of grace.
    const run = await runCleanup(
      {
        pool: onS3.db.pool,
        storageDir: onS3.storageDir,
        fileStore: files,
        retention: { importsDays: 90, filesDays: 30, lineageDays: 30 },
        now: () => new Date(Date.now() + 31 * DAY_MS),
      },
      'manual',
    );
    expect(run.status).toBe('completed');
    expect(run.counts.filesPurged).toBe(Number(finished.rows[0]?.count));
    expect(run.counts.orphanFilesDeleted).toBe(2); // the orphan object and the stale upload
    expect(await s3.objectKeys()).toEqual([]);
    expect(await s3.pendingUploads()).toEqual([]);
  });
});
