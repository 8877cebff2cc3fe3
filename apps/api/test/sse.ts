import http from 'node:http';

/** A Server-Sent Events client over a real socket: collects events and lets a test wait for one. */
export function openStream(port: number, path: string, headers: Record<string, string>) {
  const events: { event: string; data: string }[] = [];
  const waiters: { match: (e: { event: string; data: string }) => boolean; resolve: (e: { event: string; data: string }) => void }[] = [];
  let status = 0;
  let contentType = '';
  let text = '';
  let request: http.ClientRequest | undefined;
  const closed = new Promise<void>((resolve, reject) => {
    request = http.get({ host: '127.0.0.1', port, path, headers }, (res) => {
      status = res.statusCode ?? 0;
      contentType = String(res.headers['content-type']);
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        text += chunk;
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!event || data === undefined) continue;
          const received = { event, data };
          events.push(received);
          for (const waiter of [...waiters]) {
            if (waiter.match(received)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve(received);
            }
          }
        }
      });
      res.on('end', resolve);
      res.on('close', resolve);
    });
    request.on('error', reject);
  });
  const stream = {
    events,
    closed,
    status: () => status,
    contentType: () => contentType,
    /** Everything received (an error's JSON body, or the raw stream). */
    text: () => text,
    abort: () => void request?.destroy(),
    /** Resolves with the first event (already received or to come) that matches. */
    next(match: (e: { event: string; data: unknown }) => boolean) {
      const parsed = (e: { event: string; data: string }) => match({ event: e.event, data: JSON.parse(e.data) });
      const seen = events.find(parsed);
      if (seen) return Promise.resolve(JSON.parse(seen.data));
      return new Promise((resolve) => waiters.push({ match: parsed, resolve: (e) => resolve(JSON.parse(e.data)) }));
    },
  };
  return stream;
}
