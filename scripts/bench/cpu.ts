/**
 * CPU time, which the machine's load does not move as it moves wall time: a process's (user + system, from
 * `/proc/<pid>/stat`), and the PostgreSQL backends' serving the benchmark's database (PostgreSQL on this
 * machine; elsewhere their `/proc` entries are missing and the figure is NaN).
 */
import { readFile } from 'node:fs/promises';
import type { Pool } from '@importer/db';

/**
 * CPU time a process has used so far, in seconds (clock ticks of 1/100 s); with `thread`, that thread's
 * only (the process's id is its main thread's: what the worker's event loop used, its readers' threads not).
 */
export async function cpuSeconds(pid: number, thread?: number): Promise<number> {
  const stat = await readFile(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8').catch(() => null);
  if (stat === null) return NaN;
  // The command name (field 2) is in parentheses and may hold spaces: count the fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The CPU time of every backend connected to the pool's database but the one asking, by pid. */
async function backends(pool: Pool): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ pid: number }>(
    `SELECT "pid" FROM pg_stat_activity WHERE "datname" = current_database() AND "pid" <> pg_backend_pid()`,
  );
  return new Map(await Promise.all(rows.map(async ({ pid }) => [pid, await cpuSeconds(pid)] as [number, number])));
}

/**
 * Starts counting the CPU the database's backends use: `stop()` answers the seconds used since, by the
 * backends connected at the start or the end (one that both connects and leaves in between is missed).
 */
export async function backendsCpu(pool: Pool): Promise<{ stop(): Promise<number> }> {
  const before = await backends(pool);
  return {
    async stop() {
      const after = await backends(pool);
      let total = 0;
      for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
      return total;
    },
  };
}
