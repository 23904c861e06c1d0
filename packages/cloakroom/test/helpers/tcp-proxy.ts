import { createServer, Socket, type AddressInfo, type Server } from 'node:net';

/** Listens on a loopback port (0: any free one) and resolves to the port. */
export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * A TCP proxy to a server (Redis, memcached, …) that can be stopped, cutting every connection, and started
 * again on the same port: a store outage and its recovery, without touching the shared server.
 */
export class TcpProxy {
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();

  constructor(readonly upstream: { host: string; port: number }) {}

  async start(port: number): Promise<number> {
    const server = createServer((client) => {
      const upstream = new Socket();
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.#sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      upstream.connect(this.upstream.port, this.upstream.host);
      client.pipe(upstream).pipe(client);
    });
    this.#server = server;
    return listen(server, port);
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const socket of this.#sockets) socket.destroy();
    if (server !== null) await new Promise((resolve) => server.close(resolve));
  }
}

/** A loopback server that accepts connections and never answers: a hung store. `close` cuts them all. */
export async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  const port = await listen(server, 0);
  return {
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
