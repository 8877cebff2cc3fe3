import type { PoolClient } from '../pool';
import { from as copyFrom } from 'pg-copy-streams';
import { q, type UpsertTable } from './upsert';

/** SQLSTATE of a unique violation: a copied row's key exists. */
export const UNIQUE_VIOLATION = '23505';

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function field(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- what is left of a `TableRow` value here is text or a number
  const text = String(value);
  return NEEDS_ESCAPE.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c] as string) : text;
}

type Encoder = (rows: readonly Record<string, unknown>[]) => string[];
const encoders = new WeakMap<UpsertTable, Encoder>();

/**
 * Rows as COPY's text format (tab-separated, `\N` for null), with the values they get when created:
 * computed columns through their `created` function. The per-row loop is generated once per table spec,
 * so that each property read sees one column name (monomorphic), as in `columnBodies`.
 */
export function copyText(spec: UpsertTable, rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return '';
  let encode = encoders.get(spec);
  if (!encode) {
    const created = spec.columns.map((c) => c.created ?? ((value: unknown) => value));
    const cells = spec.columns.map((c, n) =>
      c.created ? `field(created[${n}](r[${JSON.stringify(c.name)}] ?? null))` : `field(r[${JSON.stringify(c.name)}])`,
    );
    const body = `const lines = new Array(rows.length); for (let i = 0; i < rows.length; i++) { const r = rows[i]; lines[i] = ${cells.join(" + '\\t' + ")}; } return lines;`;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the spec's column names, never from input (see above)
    const generated = new Function('rows', 'field', 'created', body) as (
      rows: readonly Record<string, unknown>[],
      encodeField: typeof field,
      computed: typeof created,
    ) => string[];
    encode = (input) => generated(input, field, created);
    encoders.set(spec, encode);
  }
  return `${encode(rows).join('\n')}\n`;
}

const UNESCAPES: Record<string, string> = { '\\': '\\', t: '\t', n: '\n', r: '\r' };

/**
 * The values `copyText` wrote, column by column (one array per column of the spec, in its order): text as
 * it was (numbers, booleans and dates as their text, which PostgreSQL reads back alike), `\N` as null.
 * A computed column holds its `created` value.
 */
export function copyTextColumns(spec: UpsertTable, text: string): (string | null)[][] {
  const columns = spec.columns.map((): (string | null)[] => []);
  if (text === '') return columns;
  for (const line of text.slice(0, -1).split('\n')) {
    const fields = line.split('\t');
    for (let n = 0; n < columns.length; n++) {
      const field = fields[n] as string;
      (columns[n] as (string | null)[]).push(
        field === '\\N'
          ? null
          : field.indexOf('\\') === -1
            ? field
            : field.replace(/\\([\\tnr])/g, (_, c: string) => UNESCAPES[c] as string),
      );
    }
  }
  return columns;
}

/**
 * Inserts rows whose keys are absent with COPY, the database's fastest path (batched heap writes), inside
 * the caller's transaction. A key that exists after all fails the whole COPY with a unique violation
 * (`UNIQUE_VIOLATION`): the caller rolls back and upserts instead.
 */
export async function copyRows(client: PoolClient, spec: UpsertTable, text: string): Promise<void> {
  if (text === '') return;
  const stream = copyFrom(`COPY ${q(spec.table)} (${spec.columns.map((c) => q(c.name)).join(', ')}) FROM STDIN`);
  // The stream is ours, whatever `query` returns: a wrapped client may return a promise instead, which
  // settles with the stream or fails without having sent the COPY.
  const submitted: unknown = client.query(stream);
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', resolve);
    if (submitted instanceof Promise) submitted.catch(reject);
    stream.end(text);
  });
}
