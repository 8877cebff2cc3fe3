/**
 * A real HTTP receiver on 127.0.0.1 for webhook tests: each path answers as the test scripts it (a list of
 * statuses, the last one repeated; `hang` never answers) and every request is verified with the
 * `standardwebhooks` package, the specification's reference verifier, never with the worker's own code.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What the reference verifier made of it: the parsed payload, or its error. */
  verified: { ok: true; payload: unknown } | { ok: false; error: string };
}

type Answer = number | 'hang' | { status: number; location: string };

export async function startReceiver() {
  const received: Received[] = [];
  const scripts = new Map<string, { answers: Answer[]; secret: string }>();
  const waiters = new Set<() => void>();
  const held = new Set<import('node:http').ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const body = Buffer.concat(chunks).toString('utf8');
      const script = scripts.get(path);
      let verified: Received['verified'];
      try {
        if (!script) throw new Error(`no secret for ${path}`);
        verified = { ok: true, payload: new Webhook(script.secret).verify(body, req.headers as Record<string, string>) };
      } catch (error) {
        verified = { ok: false, error: (error as Error).message };
      }
      received.push({ path, headers: req.headers, body, verified });
      for (const wake of waiters) wake();
      const answer = script ? (script.answers.length > 1 ? script.answers.shift()! : script.answers[0]!) : 404;
      if (answer === 'hang') {
        held.add(res);
        return;
      }
      if (typeof answer === 'object') res.writeHead(answer.status, { location: answer.location }).end();
      else res.writeHead(answer).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    port,
    received,
    /** Scripts `path`: its answers in order (the last repeated), verified with `secret`. Returns its URL. */
    route(path: string, secret: string, ...answers: Answer[]): string {
      scripts.set(path, { answers: answers.length > 0 ? answers : [204], secret });
      return `http://127.0.0.1:${port}${path}`;
    },
    /** Sets the secret of a path already scripted (an endpoint's, known once it is created). */
    secretOf(path: string, secret: string) {
      const script = scripts.get(path);
      if (script) script.secret = secret;
    },
    requestsTo: (path: string) => received.filter((request) => request.path === path),
    /** Resolves once `path` has received `count` requests. */
    async waitFor(path: string, count: number, timeoutMs = 60_000): Promise<Received[]> {
      const done = () => received.filter((request) => request.path === path).length >= count;
      if (!done()) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new Error(`${path}: ${received.filter((request) => request.path === path).length} of ${count} requests`));
          }, timeoutMs);
          const check = () => {
            if (!done()) return;
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          };
          waiters.add(check);
        });
      }
      return received.filter((request) => request.path === path);
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
