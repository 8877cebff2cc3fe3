import { cellText, CellIssue, type Cell } from './cells';
import type { MappedColumn } from './headers';
import type { Profile, RowIssue, ValidRow } from './profiles/profile';
import type { SourceRecord } from './readers/source';

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
function issueValue(cell: Cell | undefined): string | null {
  if (cell === null || cell === undefined) return null;
  const text = cellText(cell);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

/** Blank: null, or text made only of white space. Checks the first character before trimming. */
function isBlankCell(cell: Cell | undefined): boolean {
  if (cell === null || cell === undefined) return true;
  if (typeof cell !== 'string') return false;
  if (cell.length === 0) return true;
  const first = cell.charCodeAt(0);
  if (first > 32 && first !== 160 && first < 0x1680) return false;
  return cell.trim() === '';
}

function isEmpty(cells: readonly Cell[]): boolean {
  for (let i = 0; i < cells.length; i++) if (!isBlankCell(cells[i])) return false;
  return true;
}

/**
 * An object holding every column of the profile, so every row's values share one shape (fast property
 * access, no dictionary-mode objects). Unset columns stay `undefined`. Each is a copy of one template: a
 * spread copies the shape and the slots at once, where setting the columns one by one, by computed name,
 * costs a property store through a generic look-up each.
 */
function valuesFactory(profile: Profile): () => Record<string, unknown> {
  const template: Record<string, unknown> = {};
  for (const spec of profile.columns) template[spec.name] = undefined;
  return () => ({ ...template });
}
const factories = new WeakMap<Profile, () => Record<string, unknown>>();

function issue(row: number, column: string, code: string, message: string, value: string | null): RowIssue {
  return { row, column, code, message: `${column}: ${message}`, value, level: 'error' };
}

/**
 * Checks every cell of every record against its column's rule, then the profile's cross-column rules.
 * Pure: bad rows become issues, never exceptions. Empty records are not rows and are skipped silently.
 * This loop runs for every cell of a million-row file: no closures or throw-away arrays per row.
 */
export function validateRecords(
  profile: Profile,
  columns: readonly MappedColumn[],
  records: readonly SourceRecord[],
  maxCellChars: number,
): Validated {
  let make = factories.get(profile);
  if (!make) factories.set(profile, (make = valuesFactory(profile)));
  const result: Validated = { rows: 0, valid: [], failed: 0, issues: [] };
  for (let r = 0; r < records.length; r++) {
    const { row, cells } = records[r] as SourceRecord;
    if (isEmpty(cells)) continue;
    result.rows++;
    const values = make();
    const before = result.issues.length;
    for (let c = 0; c < columns.length; c++) {
      const { spec, index } = columns[c] as MappedColumn;
      const cell = cells[index];
      if (isBlankCell(cell)) {
        if (spec.required) result.issues.push(issue(row, spec.name, 'required', 'is required', null));
        continue;
      }
      if (typeof cell === 'string') {
        if (cell.length > maxCellChars) {
          result.issues.push(
            issue(
              row,
              spec.name,
              'cell_too_large',
              `is ${cell.length} characters long; at most ${maxCellChars} are allowed (MAX_CELL_KB)`,
              issueValue(cell),
            ),
          );
          continue;
        }
        // PostgreSQL text cannot hold NUL: such a cell is a bad row, not a failed chunk. (Its value and the
        // row's cells are stored with the NUL as U+FFFD: see `storableText`.)
        if (cell.indexOf('\u0000') !== -1) {
          result.issues.push(
            issue(
              row,
              spec.name,
              'invalid_character',
              'contains a NUL character (shown as \uFFFD), which cannot be stored; remove it',
              issueValue(cell),
            ),
          );
          continue;
        }
      }
      const parsed = spec.parse(cell as Exclude<Cell, null>);
      if (parsed instanceof CellIssue) result.issues.push(issue(row, spec.name, parsed.code, parsed.message, issueValue(cell)));
      else values[spec.name] = parsed;
    }
    if (result.issues.length === before && profile.check) {
      for (const problem of profile.check(values)) {
        result.issues.push(
          issue(row, problem.column, problem.code, problem.message, issueValue(values[problem.column] as Cell | undefined)),
        );
      }
    }
    if (result.issues.length > before) result.failed++;
    else result.valid.push({ row, raw: cells, values });
  }
  return result;
}
