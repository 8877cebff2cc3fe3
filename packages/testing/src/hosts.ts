/**
 * Separate "hosts" on this machine for tests of a deployment over many machines: each host is a network
 * namespace (`ip netns`) with its own address on a private bridge (10.213.<n>.0/24), its loopback up, and
 * its own empty temporary folder (its working directory, STORAGE_DIR and TMPDIR). A host sees the
 * machine's services (PostgreSQL, Redis, an S3 server of the test) only over the bridge, through
 * `forward()`: a TCP forwarder on the bridge's address in front of a service that listens on 127.0.0.1.
 *
 * `kill()` is a host dying: every process in its namespace is killed with SIGKILL, then the namespace
 * and its link are deleted. `close()` does that for every host, deletes the bridge and the folders,
 * whatever state the test left them in; should the test process exit first, an exit hook deletes what is
 * left of the network synchronously, and should it be killed, the next run deletes what it left.
 *
 * Without the privilege to make namespaces (`ip netns add` fails: not root, no `ip`), the hosts are plain
 * processes on 127.0.0.1, each with its own folder, and `isolated` is false: tests say so.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTcpForwarder, type TcpForwarder } from './forwarder';

/** Names of this process's namespaces start with this. */
const TAG = `imp-${process.pid}`;
/** `startHosts` calls of this process so far: each names its namespaces and links after its number. */
let runs = 0;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).toString();
const ipQuietly = (...args: string[]) => {
  try {
    ip(...args);
  } catch {
    // already gone
  }
};

let probed: boolean | undefined;

/**
 * Whether this process may make network namespaces: one is added and deleted (once per process). Tests
 * call it when they are collected, to name themselves after what they will run on.
 */
export function networkNamespacesAvailable(): boolean {
  if (probed !== undefined) return probed;
  const name = `${TAG}-probe`; // never a run's name: those have a number after the pid
  try {
    ip('netns', 'add', name);
    ip('netns', 'del', name);
    probed = true;
  } catch {
    probed = false;
  }
  return probed;
}

export interface Host {
  name: string;
  /** The host's address, as the test and the other hosts reach it. */
  address: string;
  /** Its network namespace (undefined: a plain process on this machine). */
  namespace?: string;
  /** Its own folder, empty at the start: working directory, STORAGE_DIR and TMPDIR of what runs there. */
  dir: string;
  /** Starts a process on this host, in a process group of its own, with `dir` as its working directory. */
  spawn: (command: string, args: readonly string[], options?: SpawnOptions) => ChildProcess;
  /** The host dies: every process on it killed with SIGKILL, its namespace and link deleted. */
  kill(): Promise<void>;
  isAlive(): boolean;
}

export interface Hosts {
  /** True: each host is a network namespace; false: plain processes (see `note`). */
  isolated: boolean;
  /** What the hosts are, for the test's log. */
  note: string;
  /** The address on which hosts reach this machine's services (the bridge's; 127.0.0.1 without namespaces). */
  serviceAddress: string;
  hosts: Record<string, Host>;
  /**
   * The URL of a service of this machine (postgresql://, redis://, http:// on 127.0.0.1) as the hosts reach
   * it: through a TCP forwarder on `serviceAddress` (the URL unchanged without namespaces).
   */
  reach(url: string): Promise<string>;
  /** Kills every host and deletes every namespace, link, forwarder and folder made here. */
  close(): Promise<void>;
  /** What of this run is still on the machine (namespaces, links): empty after `close()`. */
  leftovers(): string[];
}

/** The third byte of the bridge's /24: one no address of this machine uses yet. */
function freeSubnet(): number {
  const used = ip('-4', '-o', 'addr', 'show');
  for (let i = 0; i < 200; i++) {
    const n = 20 + ((process.pid + i) % 200);
    if (!used.includes(`10.213.${n}.`)) return n;
  }
  throw new Error('no free 10.213.x.0/24 subnet for the test network');
}

/** Kills the processes of a namespace (SIGKILL) and waits until none is left (at most 5 s). */
async function killNamespace(namespace: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    let pids: number[];
    try {
      pids = ip('netns', 'pids', namespace).split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return; // no such namespace
    }
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    if (Date.now() > deadline) throw new Error(`processes ${pids.join(', ')} of ${namespace} survived SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The same, synchronously, for the exit hook (no waiting: the namespace is deleted with its processes gone or not). */
function killNamespaceSync(namespace: string): void {
  try {
    for (const pid of ip('netns', 'pids', namespace).split(/\s+/).filter(Boolean).map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    // no such namespace
  }
  ipQuietly('netns', 'del', namespace);
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Deletes what an earlier run left behind when its process died before its clean-up (jest killed it): the
 * namespaces (with their processes) and links named after a test process that no longer runs.
 */
function sweepDeadRuns(): void {
  const namespaces = ip('netns', 'list')
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '');
  for (const namespace of namespaces) {
    const pid = Number(/^imp-(\d+)-/.exec(namespace)?.[1]);
    if (pid && !isRunning(pid)) killNamespaceSync(namespace);
  }
  for (const line of ip('-o', 'link', 'show').split('\n')) {
    const link = line.split(':')[1]?.trim().split('@')[0] ?? '';
    const pid = Number(/^imp(\d+)r\d+[bv]\d*$/.exec(link)?.[1]);
    if (pid && !isRunning(pid)) ipQuietly('link', 'del', link);
  }
}

function killGroups(children: Set<ChildProcess>): void {
  for (const child of children) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
    try {
      process.kill(-child.pid, 'SIGKILL'); // its process group: a launcher's children too (tsx starts node)
    } catch {
      // exited meanwhile
    }
  }
}

/** Starts the hosts named (e.g. `['api', 'w1', 'w2']`); `close()` them in the test's teardown. */
export async function startHosts(names: readonly string[]): Promise<Hosts> {
  const isolated = networkNamespacesAvailable();
  const run = ++runs;
  /** This run's namespaces: `imp-<pid>-<run>-<host>`. */
  const prefix = `${TAG}-${run}-`;
  /** Link names are at most 15 characters: `imp<pid>r<run>b` for the bridge, `imp<pid>r<run>v<n>` for a host's link. */
  const linkName = (suffix: string) => `imp${process.pid}r${run}${suffix}`;
  const dirs = await Promise.all(names.map((name) => mkdtemp(path.join(tmpdir(), `importer-host-${name}-`))));
  const forwarders: TcpForwarder[] = [];
  const namespaces = new Set<string>();
  const links = new Set<string>();
  const hosts: Record<string, Host> = {};

  const deleteNetwork = () => {
    for (const namespace of namespaces) killNamespaceSync(namespace);
    for (const link of links) ipQuietly('link', 'del', link);
    namespaces.clear();
    links.clear();
  };
  process.once('exit', deleteNetwork);

  let serviceAddress = '127.0.0.1';
  try {
    let subnet = 0;
    if (isolated) {
      sweepDeadRuns();
      subnet = freeSubnet();
      serviceAddress = `10.213.${subnet}.1`;
      const bridge = linkName('b');
      ip('link', 'add', bridge, 'type', 'bridge');
      links.add(bridge);
      ip('addr', 'add', `${serviceAddress}/24`, 'dev', bridge);
      ip('link', 'set', bridge, 'up');
    }
    names.forEach((name, index) => {
      const children = new Set<ChildProcess>();
      const namespace = isolated ? `${prefix}${name}` : undefined;
      const address = isolated ? `10.213.${subnet}.${index + 2}` : '127.0.0.1';
      if (namespace) {
        ip('netns', 'add', namespace);
        namespaces.add(namespace);
        const link = linkName(`v${index}`);
        ip('link', 'add', link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace);
        links.add(link);
        ip('link', 'set', link, 'master', linkName('b'));
        ip('link', 'set', link, 'up');
        ip('-n', namespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
        ip('-n', namespace, 'link', 'set', 'eth0', 'up');
        ip('-n', namespace, 'link', 'set', 'lo', 'up');
      }
      let alive = true;
      hosts[name] = {
        name,
        address,
        namespace,
        dir: dirs[index]!,
        isAlive: () => alive,
        spawn(command, args, options = {}) {
          if (!alive) throw new Error(`host ${name} is dead`);
          const [file, argv] = namespace ? ['ip', ['netns', 'exec', namespace, command, ...args]] : [command, [...args]];
          // `ip netns exec` enters the namespace and then execs the command: the pid is the command's.
          const child = spawn(file, argv, { ...options, cwd: dirs[index], detached: true });
          children.add(child);
          child.once('exit', () => children.delete(child));
          return child;
        },
        async kill() {
          if (!alive) return;
          alive = false;
          killGroups(children);
          if (!namespace) return;
          await killNamespace(namespace);
          ip('netns', 'del', namespace);
          namespaces.delete(namespace);
          const link = linkName(`v${index}`);
          ipQuietly('link', 'del', link); // gone with its peer in the namespace, normally
          links.delete(link);
        },
      };
    });
  } catch (error) {
    deleteNetwork();
    process.off('exit', deleteNetwork);
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    throw error;
  }

  return {
    isolated,
    note: isolated
      ? `hosts ${names.join(', ')}: network namespaces ${prefix}*, bridge ${linkName('b')} ${serviceAddress}/24`
      : `hosts ${names.join(', ')}: NOT isolated (no network namespaces: \`ip netns add\` failed, not root?): processes on 127.0.0.1, each with its own STORAGE_DIR`,
    serviceAddress,
    hosts,
    async reach(url) {
      if (!isolated) return url;
      const parsed = new URL(url);
      const defaultPort = { 'postgresql:': 5432, 'postgres:': 5432, 'redis:': 6379, 'http:': 80 }[parsed.protocol];
      const forwarder = await startTcpForwarder(serviceAddress, {
        host: parsed.hostname,
        port: Number(parsed.port || defaultPort),
      });
      forwarders.push(forwarder);
      parsed.hostname = forwarder.host;
      parsed.port = String(forwarder.port);
      return parsed.toString();
    },
    async close() {
      for (const host of Object.values(hosts)) await host.kill().catch(() => undefined);
      await Promise.all(forwarders.map((forwarder) => forwarder.close()));
      deleteNetwork();
      process.off('exit', deleteNetwork);
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
    leftovers() {
      if (!isolated) return [];
      const found = [
        ...ip('netns', 'list')
          .split('\n')
          .map((line) => line.split(' ')[0] ?? '')
          .filter((ns) => ns.startsWith(prefix)),
        ...ip('-o', 'link', 'show')
          .split('\n')
          .map((line) => line.split(':')[1]?.trim().split('@')[0] ?? '')
          .filter((link) => link.startsWith(linkName(''))),
      ];
      return found;
    },
  };
}
