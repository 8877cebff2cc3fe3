import type { ImportStatus } from '@importer/contracts';

const integer = new Intl.NumberFormat('en-GB');

export const formatNumber = (value: number | null | undefined) => (value === null || value === undefined ? '—' : integer.format(value));

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatPercent(fraction: number | null): string {
  if (fraction === null) return '—';
  const percent = fraction * 100;
  return `${percent < 10 && percent > 0 ? percent.toFixed(1) : Math.round(percent)} %`;
}

/** `1 h 05 min`, `4 min 10 s`, `12 s`. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 1) return '< 1 s';
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** `just now`, `5 min ago`, `3 h ago`, `2 days ago`. */
export function formatAge(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, (now - new Date(iso).getTime()) / 1000);
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  const days = Math.round(seconds / 86_400);
  return `${days} day${days > 1 ? 's' : ''} ago`;
}

export const formatDateTime = (iso: string | null) =>
  iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' }) : '—';

export const STATUS_LABELS: Record<ImportStatus, string> = {
  queued: 'Queued',
  processing: 'Processing',
  completed: 'Completed',
  completed_with_errors: 'Completed with errors',
  failed: 'Failed',
  cancelled: 'Cancelled',
  reverting: 'Reverting',
  reverted: 'Reverted',
};

const DELIMITERS: Record<string, string> = { ',': 'comma (,)', ';': 'semicolon (;)', '\t': 'tab', '|': 'pipe (|)' };
export const formatDelimiter = (delimiter: string | null) => (delimiter === null ? '—' : (DELIMITERS[delimiter] ?? delimiter));

export const MODE_LABELS: Record<string, string> = { upsert: 'Upsert', overwrite: 'Overwrite', insert_only: 'Insert only' };
