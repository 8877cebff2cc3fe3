import type { ImportStatus } from '@importer/contracts';

/** The API's shapes (docs/api.md), as the UI reads them; import statuses come from @importer/contracts. */
export type { ImportStatus };

export type Role = 'admin' | 'operator' | 'viewer';

export interface Principal {
  id: string;
  name: string;
  role: Role;
}

export interface SessionInfo {
  principal: Principal;
  authenticatedBy: 'session' | 'bearer';
  csrfToken: string | null;
}

export interface ImportView {
  id: string;
  profile: string;
  options: Record<string, unknown>;
  status: ImportStatus;
  file: {
    name: string;
    size: number;
    sha256: string;
    format: string;
    encoding: string | null;
    delimiter: string | null;
    sheet: string | null;
    headers: string[];
    unknownColumns: string[];
    purged: boolean;
  };
  totals: { rows: number; created: number; updated: number; unchanged: number; skipped: number; failed: number; warnings: number };
  progress: { processedRows: number; percent: number; rowsPerSecond: number | null; etaSeconds: number | null };
  attempts: number;
  error: { code: string; message: string } | null;
  createdBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface RowError {
  row: number;
  level: string;
  column: string | null;
  code: string;
  message: string;
  value: string | null;
}

export interface StatsWindow {
  imports: number;
  rows: { total: number; created: number; updated: number; unchanged: number; skipped: number; failed: number };
  finishedImports: number;
  failedImports: number;
  failureRate: number | null;
}

export interface Stats {
  generatedAt: string;
  imports: { total: number; byStatus: Record<string, number>; byProfile: Record<string, number> };
  last24h: StatsWindow;
  last30d: StatsWindow;
}

export interface ProfileInfo {
  name: string;
  columns: { name: string; required: boolean; aliases: string[] }[];
}

export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
