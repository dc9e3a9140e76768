import { expect } from 'chai';
import { createServer } from 'node:net';
import { findFreePort, findFreePorts, isPortFree } from '../../lib/testing/free-port';

describe('free loopback ports', () => {
  it('gives distinct ports in one call, each free once returned', async () => {
    const ports = await findFreePorts(20);
    expect(new Set(ports).size).to.equal(20);
    for (const port of ports) expect(await isPortFree(port)).to.equal(true);
  });

  it('never gives a port it was told to avoid', async () => {
    const avoid = await findFreePorts(5);
    for (let round = 0; round < 20; round++) {
      const ports = await findFreePorts(5, '127.0.0.1', avoid);
      expect(ports.filter((port) => avoid.includes(port))).to.deep.equal([]);
    }
  });

  it('tells a bound port from a free one', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    const bound = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      expect(await isPortFree(bound)).to.equal(false);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(await isPortFree(bound)).to.equal(true);
    expect(await findFreePort()).to.be.within(1, 65535);
  });
});
