import { createServer, type Server } from 'node:net';

/** Asks the OS for a free loopback port. The port is released before it is returned, so a race is possible. */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await findFreePorts(1, host);
  return port;
}

/** True when nothing listens on `port` (binding it succeeds). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * `count` distinct free ports, none of them in `excluding`. Every port stays bound until all are chosen: ports
 * asked for one after another are each released before the next is asked for, so the OS may hand the same one
 * out twice (a broker then refuses a client and a controller listener on one port).
 */
export async function findFreePorts(
  count: number,
  host = '127.0.0.1',
  excluding: Iterable<number> = [],
): Promise<number[]> {
  const taken = new Set(excluding);
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      const server = await listenOnAnyPort(host);
      held.push(server);
      const port = boundPort(server);
      if (taken.has(port)) continue;
      taken.add(port);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

function listenOnAnyPort(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

function boundPort(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}
