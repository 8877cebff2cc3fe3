import { BadFileError } from './errors';
import type { ColumnSpec, Profile } from './profiles/profile';
import { foldHeader } from './text';

export interface MappedColumn {
  spec: ColumnSpec;
  /** Index of the column's cell in each record. */
  index: number;
}

export interface HeaderMap {
  columns: MappedColumn[];
  /** Headers no column answers to: ignored, and listed in the import's report. */
  unknown: string[];
}

/**
 * Matches a file's header row to a profile's columns by canonical name or alias, ignoring case, accents,
 * surrounding spaces and the difference between space, `_` and `-`. Fails the file when a required column
 * is missing or two headers name the same column.
 */
export function mapHeaders(profile: Profile, headers: readonly string[]): HeaderMap {
  const byName = new Map<string, ColumnSpec>();
  for (const spec of profile.columns) {
    for (const name of [spec.name, ...(spec.aliases ?? [])]) byName.set(foldHeader(name), spec);
  }
  const columns: MappedColumn[] = [];
  const unknown: string[] = [];
  const seen = new Map<string, string>();
  headers.forEach((header, index) => {
    const folded = foldHeader(header);
    if (folded === '') return;
    const spec = byName.get(folded);
    if (!spec) {
      unknown.push(header);
      return;
    }
    const earlier = seen.get(spec.name);
    if (earlier !== undefined) {
      throw new BadFileError(
        'duplicate_header',
        `Columns "${earlier}" and "${header}" both name the column "${spec.name}"; keep only one of them.`,
        { column: spec.name, headers: [earlier, header] },
      );
    }
    seen.set(spec.name, header);
    columns.push({ spec, index });
  });
  const missing = profile.columns.filter((spec) => spec.required && !seen.has(spec.name)).map((spec) => spec.name);
  if (missing.length > 0) {
    const expected = profile.columns.map((spec) => (spec.required ? `${spec.name} (required)` : spec.name));
    throw new BadFileError(
      'missing_columns',
      `Missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} for profile "${profile.name}". ` +
        `Expected columns: ${expected.join(', ')}.`,
      { missing, expected: profile.columns.map((spec) => spec.name), found: [...headers] },
    );
  }
  return { columns, unknown };
}
