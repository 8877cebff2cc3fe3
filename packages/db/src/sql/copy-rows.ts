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

type Encoder = (rows: readonly Record<string, unknown>[], rowNumbers: readonly number[]) => string[];
const encoders = new WeakMap<UpsertTable, { created: Encoder; staged: Encoder }>();

/**
 * The per-row loops of a table spec, generated once per spec so that each property read sees one column
 * name (monomorphic), as in `columnBodies`: `created` writes the values rows get when created (computed
 * columns through their `created` function), `staged` the values as the records hold them, then the file row.
 */
function encodersOf(spec: UpsertTable): { created: Encoder; staged: Encoder } {
  let pair = encoders.get(spec);
  if (pair) return pair;
  const created = spec.columns.map((c) => c.created ?? ((value: unknown) => value));
  const generate = (cells: string[]): Encoder => {
    const body = `const lines = new Array(rows.length); for (let i = 0; i < rows.length; i++) { const r = rows[i]; lines[i] = ${cells.join(" + '\\t' + ")}; } return lines;`;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the spec's column names, never from input (see above)
    const generated = new Function('rows', 'rowNumbers', 'field', 'created', body) as (
      rows: readonly Record<string, unknown>[],
      rowNumbers: readonly number[],
      encodeField: typeof field,
      computed: typeof created,
    ) => string[];
    return (rows, rowNumbers) => generated(rows, rowNumbers, field, created);
  };
  const raw = spec.columns.map((c) => `field(r[${JSON.stringify(c.name)}])`);
  pair = {
    created: generate(
      spec.columns.map((c, n) => (c.created ? `field(created[${n}](r[${JSON.stringify(c.name)}] ?? null))` : (raw[n] as string))),
    ),
    staged: generate([...raw, 'rowNumbers[i]']),
  };
  encoders.set(spec, pair);
  return pair;
}

const joined = (lines: string[]) => (lines.length === 0 ? '' : `${lines.join('\n')}\n`);

/**
 * Rows as COPY's text format (tab-separated, `\N` for null) into the table itself (`copyRows`), with the
 * values they get when created: computed columns through their `created` function.
 */
export function copyText(spec: UpsertTable, rows: readonly Record<string, unknown>[]): string {
  return joined(encodersOf(spec).created(rows, []));
}

/**
 * Rows as COPY text into the table's staging table (`stagingSql`): the values as the records hold them
 * (the write statement computes the others), then each row's file row (`rowNumbers`, in the same order).
 */
export function stagedText(spec: UpsertTable, rows: readonly Record<string, unknown>[], rowNumbers: readonly number[]): string {
  return joined(encodersOf(spec).staged(rows, rowNumbers));
}

/**
 * `copyText` of rows turned into their `stagedText`: each computed column's field replaced by the value the
 * record held (`computed`, by column index, one value per row), and each row's file row appended. For rows
 * encoded while the writer still copied chunks in, of a chunk upserted after all (rare: once per import).
 */
export function stagedFromCopy(text: string, computed: ReadonlyMap<number, readonly unknown[]>, rowNumbers: readonly number[]): string {
  if (text === '') return '';
  const lines = text.slice(0, -1).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fields = (lines[i] as string).split('\t');
    for (const [n, values] of computed) fields[n] = field(values[i]);
    lines[i] = `${fields.join('\t')}\t${rowNumbers[i]}`;
  }
  return joined(lines);
}

/**
 * Inserts rows whose keys are absent with COPY, the database's fastest path (batched heap writes), inside
 * the caller's transaction. A key that exists after all fails the whole COPY with a unique violation
 * (`UNIQUE_VIOLATION`): the caller rolls back and upserts instead. `pieces`: the COPY text (`copyText`) in
 * pieces, as `copyIn` sends it.
 */
export async function copyRows(client: PoolClient, spec: UpsertTable, pieces: readonly string[]): Promise<void> {
  await copyIn(client, `COPY ${q(spec.table)} (${spec.columns.map((c) => q(c.name)).join(', ')}) FROM STDIN`, pieces);
}

/**
 * Sends COPY text to a `COPY … FROM STDIN` statement piece by piece (a chunk's read batches, tens of KB
 * each), the next piece once the connection has taken the last, so that a chunk is never joined into one
 * string nor turned into one buffer. Joined, a 20,000-row chunk made a string of ≈ 4 MB and a buffer as
 * large, both outliving the COPY until the next full garbage collection (the string promoted to the
 * large-object space, the buffer freed only with its wrapper, promoted while the COPY was in flight):
 * several chunks' worth at once in the worker's resident memory. A piece's buffer dies young.
 */
export async function copyIn(client: PoolClient, statement: string, pieces: readonly string[]): Promise<void> {
  if (pieces.every((piece) => piece === '')) return;
  const stream = copyFrom(statement);
  // The stream is ours, whatever `query` returns: a wrapped client may return a promise instead, which
  // settles with the stream or fails without having sent the COPY.
  const submitted: unknown = client.query(stream);
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', resolve);
    if (submitted instanceof Promise) submitted.catch(reject);
    let next = 0;
    const send = () => {
      while (next < pieces.length) {
        const piece = pieces[next++] as string;
        if (piece !== '' && !stream.write(piece)) {
          stream.once('drain', send);
          return;
        }
      }
      stream.end();
    };
    send();
  });
}
