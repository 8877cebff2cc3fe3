/**
 * PostgreSQL array literals (`{"a","b",NULL}`), built once per column of a chunk and sent as text
 * parameters: far cheaper than letting the driver serialise a JavaScript array element by element, and
 * done while the database is still busy with the previous chunk.
 */

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/** One element: text is always quoted (so `NULL`, blanks and commas stay text); null is NULL. */
function arrayElement(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return NEEDS_ESCAPE.test(value) ? `"${value.replace(ESCAPED, '\\$&')}"` : `"${value}"`;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the last resort for a value of no SQL type: quoted as its own text
  const text = String(value);
  return `"${text.replace(ESCAPED, '\\$&')}"`;
}

/** The literal of a one-dimensional array. */
export function arrayLiteral(values: readonly unknown[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) parts[i] = arrayElement(values[i]);
  return `{${parts.join(',')}}`;
}

/**
 * The body (between the braces) of the literal of `values`. JSON's array syntax is PostgreSQL's for quoted
 * text, null, booleans and numbers, and `JSON.stringify` is native: when its output holds no backslash (no
 * `"`, `\` or control character needed escaping), only the brackets differ. Otherwise each element is
 * escaped here.
 */
export function bodyOf(values: unknown[]): string {
  const json = JSON.stringify(values);
  if (json.indexOf('\\') === -1) return json.slice(1, -1);
  return arrayLiteral(values).slice(1, -1);
}

/** The literal of `rows.map((row) => row[field])`. */
export function columnLiteral(rows: readonly Record<string, unknown>[], field: string): string {
  const values = new Array<unknown>(rows.length);
  for (let i = 0; i < rows.length; i++) values[i] = (rows[i] as Record<string, unknown>)[field] ?? null;
  return `{${bodyOf(values)}}`;
}

type Splitter = (rows: readonly Record<string, unknown>[]) => unknown[][];
const splitters = new Map<string, Splitter>();

/**
 * The bodies of `fields.map((f) => columnLiteral(rows, f))`, braces left off so that the bodies of several
 * batches join into one literal without copying them twice; in one pass over the rows. The loop is
 * generated once per list of fields, so that each property read sees one name (a monomorphic load) instead
 * of one read site seeing them all; the names are the upsert specs' column names, never input.
 */
export function columnBodies(rows: readonly Record<string, unknown>[], fields: readonly string[]): string[] {
  const id = fields.join('\u0000');
  let split = splitters.get(id);
  if (!split) {
    const declare = fields.map((_, c) => `const c${c} = new Array(n);`).join(' ');
    const assign = fields.map((f, c) => `c${c}[i] = r[${JSON.stringify(f)}] ?? null;`).join(' ');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the specs' column names, never from input (see above)
    split = new Function(
      'rows',
      `const n = rows.length; ${declare} for (let i = 0; i < n; i++) { const r = rows[i]; ${assign} } return [${fields.map((_, c) => `c${c}`).join(', ')}];`,
    ) as Splitter;
    splitters.set(id, split);
  }
  return split(rows).map(bodyOf);
}
