import { BadFileError } from './errors';
import type { ColumnSpec, Profile } from './profiles/profile';
import { columnName } from './readers/spreadsheet-values';
import { isErrorColumn } from './rejected-rows';
import { foldHeader } from './text';

export interface MappedColumn {
  spec: ColumnSpec;
  /** Index of the column's cell in each record. */
  index: number;
}

export interface HeaderMap {
  columns: MappedColumn[];
  /**
   * Headers no column answers to: ignored, and listed in the import's report. The rejected-rows download's
   * own error columns are ignored without being listed: they are expected in a corrected download.
   */
  unknown: string[];
}

/** The profile's columns by folded name and alias (`foldHeader`). */
function columnsByFoldedName(profile: Profile): Map<string, ColumnSpec> {
  const byName = new Map<string, ColumnSpec>();
  for (const spec of profile.columns) {
    for (const name of [spec.name, ...(spec.aliases ?? [])]) byName.set(foldHeader(name), spec);
  }
  return byName;
}

/** The column a header names as `mapHeaders` matches it (name or alias, folded), or undefined. */
export function columnNamed(profile: Profile): (header: string) => ColumnSpec | undefined {
  const byName = columnsByFoldedName(profile);
  return (header) => byName.get(foldHeader(header));
}

/**
 * Matches a file's header row to a profile's columns by canonical name or alias, ignoring case, accents,
 * surrounding spaces and the difference between space, `_` and `-`; a `mapping` (`{"file header": "column"}`,
 * its headers folded the same way) names the column of the headers it lists, before names and aliases. Fails
 * the file when a required column is missing or two headers are the same once folded (`Nom` and `NOM`), or
 * name the same column (`Nom` and `name`). Headers are only ever compared through maps, so `__proto__` or
 * `constructor` are plain text.
 */
export function mapHeaders(profile: Profile, headers: readonly string[], mapping?: Readonly<Record<string, string>>): HeaderMap {
  const byName = columnsByFoldedName(profile);
  const mapped = new Map<string, ColumnSpec>();
  for (const [header, column] of Object.entries(mapping ?? {})) {
    const spec = profile.columns.find((candidate) => candidate.name === column);
    if (!spec) {
      throw new BadFileError(
        'invalid_mapping',
        `The mapping names the column "${column}", which profile "${profile.name}" does not have.`,
        {
          unknownColumns: [column],
        },
      );
    }
    mapped.set(foldHeader(header), spec);
  }
  const columns: MappedColumn[] = [];
  const unknown: string[] = [];
  /** Folded header, or column name for mapped headers → where it was first seen. */
  const seen = new Map<string, { header: string; index: number }>();
  const duplicate = (earlier: { header: string; index: number }, header: string, index: number, target: string | null) =>
    new BadFileError(
      'duplicate_header',
      `Columns ${columnName(earlier.index)} ("${earlier.header}") and ${columnName(index)} ("${header}") ` +
        (target ? `both name the column "${target}"` : 'have the same header') +
        '; each column needs its own header, so rename or remove one of them.',
      { column: target, headers: [earlier.header, header], positions: [earlier.index + 1, index + 1] },
    );
  headers.forEach((header, index) => {
    const folded = foldHeader(header);
    if (folded === '' || isErrorColumn(header)) return;
    const spec = mapped.get(folded) ?? byName.get(folded);
    const key = spec ? `column:${spec.name}` : `header:${folded}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) throw duplicate(earlier, header, index, spec?.name ?? null);
    seen.set(key, { header, index });
    if (spec) columns.push({ spec, index });
    else unknown.push(header);
  });
  const missing = profile.columns.filter((spec) => spec.required && !seen.has(`column:${spec.name}`)).map((spec) => spec.name);
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
