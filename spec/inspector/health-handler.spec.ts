import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KafkaConnection } from '../../lib/connection/kafka-connection';
import { createHealthHandler } from '../../lib/inspector';
import { silentLogger } from '../../lib/logger';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';

describe('createHealthHandler() in a server of your own (on a fake driver)', () => {
  it('answers /healthz, /readyz and /metrics under its prefix and leaves every other path alone', async () => {
    const driver = new FakeKafkaDriver();
    const connection = new KafkaConnection({
      driver,
      clientId: 'orders',
      logger: silentLogger,
      consumer: {
        groupId: 'orders',
        topics: ['orders.placed'],
        fromBeginning: true,
        eachBatch: async () => undefined,
      },
    });
    const handler = createHealthHandler({
      sources: [{ name: 'orders', source: connection }],
      prefix: '/ops',
    });
    const server: Server = createServer((request, response) => {
      if (handler.handle(request, response)) return;
      response.writeHead(200);
      response.end('mine\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const get = async (path: string) => {
      const response = await fetch(`${base}${path}`);
      return { status: response.status, body: await response.text() };
    };
    try {
      expect(await get('/ops/readyz')).to.deep.include({ status: 503 });
      await connection.connect();
      expect(await get('/ops/readyz')).to.deep.equal({ status: 200, body: '{"ok":true,"reasons":[]}\n' });
      expect(await get('/ops/healthz')).to.deep.include({ status: 200 });
      expect((await get('/ops/metrics')).body).to.include(
        'rxkafka_connection_state{source="orders",state="assigned"} 1',
      );
      expect(await get('/other')).to.deep.equal({ status: 200, body: 'mine\n' });
      driver.consumer.crash(Object.assign(new Error('fenced'), { name: 'KafkaJSProtocolError' }), false);
      expect(await get('/ops/healthz')).to.deep.equal({
        status: 503,
        body: '{"ok":false,"reasons":["orders failed: KafkaJSProtocolError: fenced"]}\n',
      });
    } finally {
      handler.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close('abandon');
      connection.dispose();
    }
  });
});
