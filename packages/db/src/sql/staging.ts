import type { PoolClient, Queryable } from '../pool';
import { copyIn } from './copy-rows';
import { q, type UpsertTable } from './upsert';

/**
 * A chunk's rows on their way to an upsert: COPYed into a temporary table of the writer's connection, from
 * which its one statement reads them (`stagedInputCte`), as PostgreSQL's own bulk path does. COPY parses
 * its text more cheaply than `unnest` parses array parameters (about 1.9 against 3 µs of backend CPU a
 * row of `companies`), and the worker encodes every row once, as COPY text, whichever way it is written.
 * Its columns are the spec's, typed as the table's (`bpchar` keys meet the key's index), then the file row.
 * ON COMMIT DELETE ROWS: each chunk's transaction finds it empty and leaves it so, committed or not.
 */
const stagingTable = (spec: UpsertTable) => `pg_temp.${q(`importer_staging_${spec.table}`)}`;

/**
 * Creates the staging table on the connection, once per writer: a temporary table lives as long as its
 * session, so a connection the pool hands out again already has it. Outside a chunk's transaction, so that
 * a chunk rolled back does not take it along (a writer on its caller's transaction creates it there).
 */
export async function createStaging(db: Queryable, spec: UpsertTable): Promise<void> {
  const columns = [...spec.columns.map((c) => `${q(c.name)} ${c.type}`), '"row" int4'].join(', ');
  await db.query(`CREATE TEMPORARY TABLE IF NOT EXISTS ${stagingTable(spec).slice('pg_temp.'.length)} (${columns}) ON COMMIT DELETE ROWS`);
}

/** COPYs rows encoded by `stagedText`, in pieces (`copyIn`), into the staging table, inside the chunk's transaction. */
export async function copyStaged(client: PoolClient, spec: UpsertTable, pieces: readonly string[]): Promise<void> {
  await copyIn(client, `COPY ${stagingTable(spec)} FROM STDIN`, pieces);
}

/**
 * The CTE `input` of a staged chunk: its rows, less those listed in the parameter `$first` (rows a later
 * row of the same chunk supersedes: encoded before that row was read, and left out here). Not materialized:
 * each reference reads the staging table itself rather than a copy of it.
 */
export const stagedInputCte = (spec: UpsertTable, first = 1) =>
  `input AS NOT MATERIALIZED (SELECT * FROM ${stagingTable(spec)} i WHERE i."row" <> ALL ($${first}::int4[]))`;
