/** Importer's full path, as an integration uses it: upload over HTTP, then follow the import to its end. */
import { openAsBlob } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImportView } from '@importer/db';

const FINISHED = new Set(['completed', 'completed_with_errors', 'failed', 'cancelled']);

export interface ImporterRun {
  /** From the first byte uploaded to the import's final status. */
  seconds: number;
  /** The upload alone (until the API answered 202). */
  uploadSeconds: number;
  record: ImportView;
}

export async function importOverHttp(baseUrl: string, token: string, file: string, fields: Record<string, string>): Promise<ImporterRun> {
  const headers = { Authorization: `Bearer ${token}` };
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', await openAsBlob(file), path.basename(file));
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  const response = await fetch(`${baseUrl}/api/v1/imports`, { method: 'POST', headers, body: form });
  if (response.status !== 202) throw new Error(`upload refused: ${response.status} ${await response.text()}`);
  const uploadSeconds = seconds();
  const { id } = (await response.json()) as ImportView;
  // No event to wait on from outside the process but the SSE stream; a short poll measures as well.
  for (;;) {
    const current = await fetch(`${baseUrl}/api/v1/imports/${id}`, { headers });
    const record = (await current.json()) as ImportView;
    if (FINISHED.has(record.status)) return { seconds: seconds(), uploadSeconds, record };
    await sleep(50);
  }
}
