/** Every status an import can have (docs/api.md, "The import record"), in the order of its life. The database's CHECK lists the same. */
export const IMPORT_STATUSES = [
  'queued',
  'processing',
  'completed',
  'completed_with_errors',
  'failed',
  'cancelled',
  'reverting',
  'reverted',
] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/**
 * How an import's status moves, and what moves it. Nothing else changes a status: `@importer/db`'s
 * `import-lifecycle.ts` carries out each action as one conditional update (`WHERE status = ANY(from)`), so
 * an action the table refuses changes nothing, and says so.
 *
 * | action   | from                   | to                                             | by                           |
 * |----------|------------------------|------------------------------------------------|------------------------------|
 * | `claim`  | `queued`               | `processing`                                   | a delivery of the job        |
 * | `claim`  | `processing`           | `processing`                                   | a resumed attempt            |
 * | `sync`   | `queued`               | `processing`                                   | a sync batch, as it is written |
 * | `finish` | `processing`           | `completed`, `completed_with_errors`, `failed` | the worker                   |
 * | `cancel` | `queued`, `processing` | `cancelled`                                    | an operator                  |
 * | `retry`  | `failed`, `cancelled`  | `queued`                                       | an operator (file kept)      |
 * | `revert` | `completed`, `completed_with_errors` | `reverting`                      | an operator (lineage kept)   |
 * | `finishRevert` | `reverting`      | `reverted`                                     | the revert job, at its end   |
 *
 * - `claim` counts an attempt; from `processing` it is the next delivery after a transient error, a crash,
 *   a stall or a shutdown, and resumes from the checkpoint.
 * - `sync`: a batch of `POST /sync/:profile` is recorded, started, written and finished in one transaction:
 *   it has no job, so it is neither claimed nor active for the reconciler, and no one else ever sees it queued.
 * - `finish`: the last chunk is in (`completed`, or `completed_with_errors` when rows failed), or the file is
 *   bad, the attempt timed out, or the last attempt failed (`failed`, with the error).
 * - `cancel` of a running import: its attempt stops at its next chunk commit, which the chunk fence refuses
 *   (chunks commit only while the import is `processing`).
 * - `retry` is refused once the cleanup removed the stored file; the next attempt resumes from the checkpoint.
 * - `revert` is refused for a dry run (it wrote nothing) and once the import's lineage expired
 *   (`RETAIN_LINEAGE_DAYS`); its job then goes through the lineage in chunks, fenced on `reverting`
 *   (docs/write-semantics.md, "Lineage and revert").
 * - `reverted` is final; `completed` and `completed_with_errors` are, but for a revert.
 */
export const IMPORT_TRANSITIONS = {
  claim: { from: ['queued', 'processing'], to: ['processing'] },
  sync: { from: ['queued'], to: ['processing'] },
  finish: { from: ['processing'], to: ['completed', 'completed_with_errors', 'failed'] },
  cancel: { from: ['queued', 'processing'], to: ['cancelled'] },
  retry: { from: ['failed', 'cancelled'], to: ['queued'] },
  revert: { from: ['completed', 'completed_with_errors'], to: ['reverting'] },
  finishRevert: { from: ['reverting'], to: ['reverted'] },
} as const satisfies Record<string, { from: readonly ImportStatus[]; to: readonly ImportStatus[] }>;
export type ImportAction = keyof typeof IMPORT_TRANSITIONS;
/** The statuses `action` may lead to. */
export type StatusAfter<A extends ImportAction> = (typeof IMPORT_TRANSITIONS)[A]['to'][number];

/** Whether the table lets `action` start from `status`. */
export function isAllowed(action: ImportAction, status: ImportStatus): boolean {
  return (IMPORT_TRANSITIONS[action].from as readonly ImportStatus[]).includes(status);
}

/** Statuses with work left: such an import has a job, or the reconciler gives it one. */
export const ACTIVE_STATUSES: readonly ImportStatus[] = IMPORT_STATUSES.filter((status) => isAllowed('claim', status));

/** Statuses of an import whose revert runs: its revert job has work left. */
export const REVERTING_STATUSES: readonly ImportStatus[] = IMPORT_STATUSES.filter((status) => isAllowed('finishRevert', status));

/**
 * Statuses no worker moves an import out of (an operator's retry or revert may); the cleanup deletes only
 * these.
 */
export const FINISHED_STATUSES: readonly ImportStatus[] = IMPORT_STATUSES.filter(
  (status) => !isAllowed('claim', status) && !isAllowed('finishRevert', status),
);
