/**
 * A real Redis Cluster for tests: six `redis-server` processes (Debian's binaries) on free ports of
 * 127.0.0.1, each in a folder of its own under a temporary one, joined by `redis-cli --cluster create` as
 * three masters with one replica each. `close()` kills every node and removes the folder; a process that
 * exits without it (a failed `beforeAll`) kills them on its way out.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { RedisSettings } from '@importer/config';
import { pollUntil } from './poll';

const run = promisify(execFile);

/** A port of 127.0.0.1 free now, whose cluster bus port (+10,000) is free too. */
async function freeNodePort(taken: Set<number>): Promise<number> {
  const listen = (port: number) =>
    new Promise<number | null>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(null));
      server.listen(port, '127.0.0.1', () => {
        const { port: bound } = server.address() as { port: number };
        server.close(() => resolve(bound));
      });
    });
  for (let tries = 0; tries < 50; tries++) {
    const port = await listen(0);
    if (port === null || port > 55_535 || taken.has(port)) continue;
    if ((await listen(port + 10_000)) === null) continue;
    taken.add(port);
    return port;
  }
  throw new Error('no free port pair for a Redis Cluster node');
}

export interface TestRedisClusterOptions {
  /** `requirepass` (and `masterauth`) of every node; the settings and `env` carry it. */
  password?: string;
  /** Deadline of the start: nodes up, cluster created, `cluster_state:ok` on every node (default 60 s). */
  timeoutMs?: number;
}

export interface TestRedisCluster {
  /** The ports of the six nodes (three masters, three replicas). */
  ports: number[];
  /** What `redisSettings(config)` gives for `env`: for `createRedis` in the test. */
  settings: RedisSettings;
  /** REDIS_CLUSTER_NODES (all six) and REDIS_CLUSTER_PASSWORD, for processes started by the test. */
  env: Record<string, string>;
  /** A plain connection to each node (for `CLUSTER INFO`, `KEYS`…), closed by `close()`. */
  node(port: number): Redis;
  /** Kills every node and removes their folder; bounded in time. */
  close(): Promise<void>;
}

export async function startTestRedisCluster(options: TestRedisClusterOptions = {}): Promise<TestRedisCluster> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const directory = await mkdtemp(path.join(tmpdir(), 'importer-redis-cluster-'));
  const children: ChildProcess[] = [];
  const connections = new Map<number, Redis>();
  const killAll = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const auth = options.password ? ['--requirepass', options.password, '--masterauth', options.password] : [];

  const close = async () => {
    process.off('exit', killAll);
    for (const connection of connections.values()) connection.disconnect();
    const exits = children.filter((child) => child.exitCode === null && child.signalCode === null).map((child) => once(child, 'exit'));
    killAll();
    await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    await rm(directory, { recursive: true, force: true });
  };

  try {
    const taken = new Set<number>();
    const ports: number[] = [];
    for (let i = 0; i < 6; i++) ports.push(await freeNodePort(taken));
    for (const port of ports) {
      const dir = path.join(directory, String(port));
      await mkdir(dir);
      // Spawned, not exec'd through a shell: the node is this process's child, killed by `close()`.
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          // A loaded test machine can starve a node for seconds: no failover unless it is silent for 15 s.
          '--cluster-node-timeout',
          '15000',
          '--save',
          '',
          '--appendonly',
          'no',
          '--logfile',
          path.join(dir, 'redis.log'),
          ...auth,
        ],
        { stdio: 'ignore' },
      );
      child.once('error', () => undefined); // no redis-server: the wait below names the node
      children.push(child);
    }
    const node = (port: number) => {
      let connection = connections.get(port);
      if (!connection) {
        connection = new Redis({ host: '127.0.0.1', port, password: options.password, lazyConnect: true, maxRetriesPerRequest: 1 });
        connection.on('error', () => undefined);
        connections.set(port, connection);
      }
      return connection;
    };
    const started = Date.now();
    const left = () => Math.max(1_000, timeoutMs - (Date.now() - started));
    await Promise.all(
      ports.map((port, i) =>
        pollUntil(
          async () =>
            children[i]?.exitCode !== null
              ? 'exited'
              : await node(port)
                  .ping()
                  .catch(() => 'no answer'),
          (answer) => answer === 'PONG' || answer === 'exited',
          `Redis Cluster node on port ${port} answering`,
          { timeoutMs: left() },
        ).then((answer) => {
          if (answer === 'exited') throw new Error(`redis-server on port ${port} exited (see its redis.log)`);
        }),
      ),
    );
    await run(
      'redis-cli',
      [
        ...(options.password ? ['-a', options.password, '--no-auth-warning'] : []),
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ],
      { timeout: left() },
    ).catch((error: Error & { stdout?: string; signal?: string }) => {
      // Its output says which step failed (it prints errors on stdout); a signal means the deadline.
      const said = (error.stdout ?? '').trim().split('\n').slice(-5).join('\n');
      throw new Error(`redis-cli --cluster create failed${error.signal ? ` (${error.signal}: past the deadline)` : ''}:\n${said}`);
    });
    // Every node must see the whole cluster with every slot served, not only the one that created it.
    await Promise.all(
      ports.map((port) =>
        pollUntil(
          () =>
            node(port)
              .cluster('INFO')
              .catch(() => ''),
          (info) => /cluster_state:ok/.test(info) && /cluster_known_nodes:6\b/.test(info) && /cluster_slots_ok:16384\b/.test(info),
          `cluster_state:ok on the node of port ${port}`,
          { timeoutMs: left(), everyMs: 100 },
        ),
      ),
    );
    const settings: RedisSettings = {
      mode: 'cluster',
      nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
      password: options.password,
      tls: false,
    };
    return {
      ports,
      settings,
      env: {
        REDIS_CLUSTER_NODES: ports.map((port) => `127.0.0.1:${port}`).join(','),
        ...(options.password ? { REDIS_CLUSTER_PASSWORD: options.password } : {}),
      },
      node,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
