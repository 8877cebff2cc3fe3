/**
 * A TCP forwarder: listens on an address of this machine (a test network's bridge) and pipes every
 * connection to a service that listens on 127.0.0.1 only (PostgreSQL, Redis), so that processes in other
 * network namespaces reach it. Each side's end or error ends the other; `close()` cuts every connection.
 */
import { once } from 'node:events';
import net from 'node:net';

export interface TcpForwarder {
  /** Where the forwarder listens: the address given and the port it got. */
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startTcpForwarder(listen: string, target: { host: string; port: number }): Promise<TcpForwarder> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = net.createServer((inbound) => {
    const outbound = net.connect(target);
    track(inbound);
    track(outbound);
    inbound.setNoDelay(true);
    outbound.setNoDelay(true);
    // destroy, not end: a peer killed with SIGKILL must drop its server-side connection at once, as a
    // real host's dropped connection does once the server notices.
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  server.listen(0, listen);
  await once(server, 'listening');
  const address = server.address() as net.AddressInfo;
  return {
    host: listen,
    port: address.port,
    async close() {
      const closed = once(server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
