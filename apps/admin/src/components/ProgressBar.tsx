import type { ImportStatus } from '@importer/contracts';

/** A progress bar with its percentage as text; `label` names it for screen readers. */
export function ProgressBar({
  percent,
  status,
  label,
  large = false,
}: {
  percent: number;
  status: ImportStatus;
  label: string;
  large?: boolean;
}) {
  const value = Math.max(0, Math.min(100, percent));
  return (
    <div className={`progress${large ? ' progress-large' : ''}`}>
      <div
        className={`progress-track progress-${status}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(value)}
      >
        <div className="progress-fill" style={{ width: `${value}%` }} />
      </div>
      <span className="progress-text">{Math.floor(value)} %</span>
    </div>
  );
}
