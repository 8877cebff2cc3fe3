import { cellText, isBlank, type Cell } from './cells';
import type { MappedColumn } from './headers';
import type { Profile, RowIssue, ValidRow } from './profiles/profile';
import { isEmptyRecord, type SourceRecord } from './readers/source';

const MAX_VALUE_CHARS = 1_000;

export interface Validated {
  /** Non-empty records: every one ends as exactly one outcome. */
  rows: number;
  valid: ValidRow[];
  /** Rows failed by their cells (one issue or more each). */
  failed: number;
  issues: RowIssue[];
}

/** A cell's text as reported with an issue: bounded, so a huge cell cannot bloat the error table. */
export function issueValue(cell: Cell | undefined): string | null {
  if (cell === null || cell === undefined) return null;
  const text = cellText(cell);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

/**
 * Checks every cell of every record against its column's rule, then the profile's cross-column rules.
 * Pure: bad rows become issues, never exceptions. Empty records are not rows and are skipped silently.
 */
export function validateRecords(
  profile: Profile,
  columns: readonly MappedColumn[],
  records: readonly SourceRecord[],
  maxCellChars: number,
): Validated {
  const result: Validated = { rows: 0, valid: [], failed: 0, issues: [] };
  for (const { row, cells } of records) {
    if (isEmptyRecord(cells)) continue;
    result.rows++;
    const values: Record<string, unknown> = Object.create(null);
    const issues: RowIssue[] = [];
    const fail = (column: string, code: string, message: string, value: string | null) =>
      issues.push({ row, column, code, message: `${column}: ${message}`, value, level: 'error' });
    for (const { spec, index } of columns) {
      const cell = cells[index];
      if (isBlank(cell)) {
        if (spec.required) fail(spec.name, 'required', 'is required', null);
        continue;
      }
      if (typeof cell === 'string' && cell.length > maxCellChars) {
        fail(spec.name, 'cell_too_large', `is ${cell.length} characters long; at most ${maxCellChars} are allowed`, issueValue(cell));
        continue;
      }
      const parsed = spec.parse(cell);
      if (parsed.ok) values[spec.name] = parsed.value;
      else fail(spec.name, parsed.issue.code, parsed.issue.message, issueValue(cell));
    }
    if (issues.length === 0 && profile.check) {
      for (const problem of profile.check(values)) {
        fail(problem.column, problem.code, problem.message, issueValue(values[problem.column] as Cell | undefined));
      }
    }
    if (issues.length > 0) {
      result.failed++;
      result.issues.push(...issues);
    } else {
      result.valid.push({ row, raw: cells, values });
    }
  }
  return result;
}

/**
 * Keeps the last row of each natural key; the earlier ones are skipped with the warning `duplicate_key`.
 * `ON CONFLICT` cannot touch one row twice in a statement, so this also keeps each upsert valid.
 */
export function dropDuplicateKeys(profile: Profile, rows: readonly ValidRow[]): { kept: ValidRow[]; issues: RowIssue[] } {
  const last = new Map<string, ValidRow>();
  for (const row of rows) last.set(profile.key(row.values), row);
  if (last.size === rows.length) return { kept: [...rows], issues: [] };
  const kept: ValidRow[] = [];
  const issues: RowIssue[] = [];
  for (const row of rows) {
    const winner = last.get(profile.key(row.values)) as ValidRow;
    if (winner === row) {
      kept.push(row);
    } else {
      issues.push({
        row: row.row,
        column: null,
        code: 'duplicate_key',
        message: `same key as row ${winner.row}, which comes later and wins; this row is skipped`,
        value: null,
        level: 'warning',
      });
    }
  }
  return { kept, issues };
}
