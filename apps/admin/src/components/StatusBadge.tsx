import type { ImportStatus } from '@importer/contracts';
import { STATUS_LABELS } from '../format';

export function StatusBadge({ status }: { status: ImportStatus }) {
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      <span className="badge-dot" aria-hidden="true" />
      {STATUS_LABELS[status]}
    </span>
  );
}
