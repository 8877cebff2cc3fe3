import { createTestDatabase, type TestDatabase } from '@importer/testing';
import { arrayLiteral, columnLiteral } from '../src/sql/pg-arrays';
import { ChunkEncoding, companiesTable, copyRows, copyText } from '../src';
import { copyStaged, createStaging, stagedInputCte } from '../src/sql/staging';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const awkward = ['', 'plain', 'NULL', 'null', 'a,b', '{braces}', 'say "hi"', 'back\\slash', 'two\nlines', ' spaced ', 'é€😀', '\t'];

describe('PostgreSQL array literals', () => {
  it('round-trip text through PostgreSQL unchanged, nulls included', async () => {
    const values = [...awkward, null];
    const { rows } = await db.pool.query('SELECT $1::text[] AS fast, $2::text[] AS slow', [
      columnLiteral(
        values.map((value) => ({ value })),
        'value',
      ),
      arrayLiteral(values),
    ]);
    expect(rows[0]).toEqual({ fast: values, slow: values });
  });

  it('carry booleans, numbers, dates and missing fields', async () => {
    const rows = [{ b: true, n: 42, d: '2011-03-15' }, { b: false, n: -7, d: null }, {}];
    const { rows: result } = await db.pool.query(`SELECT $1::bool[] AS b, $2::int4[] AS n, $3::date[]::text[] AS d`, [
      columnLiteral(rows, 'b'),
      columnLiteral(rows, 'n'),
      columnLiteral(rows, 'd'),
    ]);
    expect(result[0]).toEqual({ b: [true, false, null], n: [42, -7, null], d: ['2011-03-15', null, null] });
  });
});

describe('COPY text', () => {
  it('copies awkward text, nulls and computed columns in as the upsert would insert them', async () => {
    const rows = awkward.slice(0, 10).map((text, n) => ({
      siren: String(100_000_000 + n),
      nom: text === '' ? 'x' : text,
      adresse: text,
      is_active: n % 2 === 0 ? null : false,
      ville_nom: null,
    }));
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await copyRows(client, companiesTable, [copyText(companiesTable, rows.slice(0, 4)), '', copyText(companiesTable, rows.slice(4))]);
      const { rows: stored } = await client.query('SELECT nom, adresse, is_active, ville_nom FROM companies ORDER BY siren');
      expect(stored).toEqual(rows.map(({ nom, adresse, is_active }) => ({ nom, adresse, is_active: is_active ?? true, ville_nom: null })));
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });
});

describe('a chunk encoded for COPY', () => {
  it('gives the write statement the same rows when it is upserted after all', async () => {
    const rows = awkward.map((text, n) => ({
      siren: String(100_000_000 + n),
      nom: text === '' ? 'x' : text,
      adresse: text,
      ville_nom: n % 3 === 0 ? null : `${text}\\N`,
      is_active: [null, false, true][n % 3] ?? null,
      subcategory_id: n % 2 === 0 ? null : String(n * 1000),
      date_creation: n % 2 === 0 ? '2011-03-15' : null,
    }));
    const encode = (copying: boolean) => {
      const encoding = new ChunkEncoding(companiesTable, () => copying);
      encoding.add(rows.slice(0, 5), [2, 3, 4, 5, 6]);
      encoding.add(rows.slice(5), [7, 8, 9, 10, 11, 12, 13]);
      encoding.drop(4);
      return encoding;
    };
    const copied = encode(true);
    expect(copied.copy()).toBeNull(); // a dropped row: upserted
    const read = async (encoding: ChunkEncoding) => {
      const client = await db.pool.connect();
      try {
        await createStaging(client, companiesTable);
        await client.query('BEGIN');
        await copyStaged(client, companiesTable, encoding.staged());
        const { rows: staged } = await client.query<Record<string, unknown>>(
          `WITH ${stagedInputCte(companiesTable)} SELECT i.*, i."date_creation"::text AS d FROM input i ORDER BY i."row"`,
          encoding.stagedParams(),
        );
        await client.query('COMMIT');
        const { rows: left } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_temp."importer_staging_companies"`);
        expect(left[0]?.n).toBe(0); // emptied by the commit
        return staged;
      } finally {
        client.release();
      }
    };
    const upserted = await read(encode(false));
    expect(upserted).toHaveLength(rows.length - 1);
    expect(upserted.map((row) => row.row)).toEqual([2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(upserted.find((row) => row.row === 2)).toMatchObject({ siren: '100000000', nom: 'x', is_active: null, d: '2011-03-15' });
    expect(copied.staged()).toEqual(encode(false).staged());
    expect(await read(copied)).toEqual(upserted);
  });

  it('sends only its keys and file rows with its COPY text', () => {
    const encoding = new ChunkEncoding(companiesTable, () => true);
    encoding.add([{ siren: '100000001', nom: 'a' }], [2]);
    encoding.add([{ siren: '100000002', nom: 'b', is_active: null }], [3]);
    expect(encoding.copy()).toEqual({
      pieces: [copyText(companiesTable, [{ siren: '100000001', nom: 'a' }]), copyText(companiesTable, [{ siren: '100000002', nom: 'b' }])],
      rows: [2, 3],
      params: ['{"100000001","100000002"}', '{2,3}'],
    });
  });
});
