import { STATUS_LABELS } from '../format';
import type { ImportStatus } from '../types';

export function StatusBadge({ status }: { status: ImportStatus }) {
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      <span className="badge-dot" aria-hidden="true" />
      {STATUS_LABELS[status]}
    </span>
  );
}
