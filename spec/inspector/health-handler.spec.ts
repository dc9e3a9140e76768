import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KafkaConnection } from '../../lib/connection/kafka-connection';
import { createHealthHandler } from '../../lib/inspector';
import { silentLogger } from '../../lib/logger';
import { publishHandlerStart } from '../../lib/diagnostics/publish-diagnostics';
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
        body: '{"ok":false,"reasons":["orders failed: KafkaJSProtocolError: fenced"],"stuck":[]}\n',
      });
    } finally {
      handler.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close('abandon');
      connection.dispose();
    }
  });

  it('explains in /healthz’s `stuck` each partition that stood still past the threshold, with its handler', async () => {
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
    const startedAt = Date.now();
    let now = startedAt;
    const handler = createHealthHandler({
      sources: [{ name: 'orders', source: connection }],
      health: { now: () => now, explainStuckAfterMs: 45_000 },
    });
    const server: Server = createServer((request, response) => handler.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
    const healthz = async () => {
      const response = await fetch(url);
      return { status: response.status, body: (await response.json()) as { stuck: unknown[] } };
    };
    try {
      await connection.connect();
      // A record in flight on orders.placed/0 and its handler's start, as the event path publishes it.
      connection.progress.batchStarted('orders.placed', 0, 1, '8');
      publishHandlerStart(
        'event',
        { controller: 'OrdersController', method: 'placed', pattern: 'orders.placed' },
        { getMessage: () => ({ topic: 'orders.placed', partition: 0, offset: '7', key: 'customer-9' }) },
      );
      expect((await healthz()).body.stuck).to.deep.equal([]);
      now = startedAt + 50_500;
      const { status, body } = await healthz();
      expect(status).to.equal(200);
      expect(body.stuck).to.have.length(1);
      expect(body.stuck[0]).to.deep.include({
        source: 'orders',
        clientId: 'orders',
        topic: 'orders.placed',
        partition: 0,
        reason: {
          kind: 'handler-running',
          handler: 'OrdersController.placed',
          pattern: 'orders.placed',
          offset: '7',
          key: 'customer-9',
          runningMs: 50_500,
        },
        sentence:
          'orders orders.placed/0 has not committed past its start for 50 s: OrdersController.placed ' +
          '(orders.placed) has been running on offset 7, key "customer-9" for 50 s',
      });
    } finally {
      handler.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close('abandon');
      connection.dispose();
    }
  });

  it('refuses a negative explainStuckAfterMs when created, naming the option', () => {
    const connection = new KafkaConnection({
      driver: new FakeKafkaDriver(),
      clientId: 'x',
      logger: silentLogger,
    });
    expect(() => createHealthHandler({ sources: [connection], health: { explainStuckAfterMs: -5 } }))
      .to.throw(/health\.explainStuckAfterMs is -5/)
      .with.property('code', 'RXK_INVALID_OPTIONS');
    connection.dispose();
  });
});
