import { createTestDatabase, type TestDatabase } from '@importer/testing';
import { arrayLiteral, columnLiteral } from '../src/sql/pg-arrays';
import { companiesTable, copyRows, copyText } from '../src';

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
      await copyRows(client, companiesTable, copyText(companiesTable, rows));
      const { rows: stored } = await client.query('SELECT nom, adresse, is_active, ville_nom FROM companies ORDER BY siren');
      expect(stored).toEqual(rows.map(({ nom, adresse, is_active }) => ({ nom, adresse, is_active: is_active ?? true, ville_nom: null })));
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });
});
