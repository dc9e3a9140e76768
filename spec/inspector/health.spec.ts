import { expect } from 'chai';
import { KafkaConnection } from '../../lib/connection/kafka-connection';
import { checkLiveness, checkReadiness } from '../../lib/inspector/health';
import { silentLogger } from '../../lib/logger';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';

function createConnection(driver: FakeKafkaDriver, withConsumer = true): KafkaConnection {
  return new KafkaConnection({
    driver,
    clientId: 'health',
    logger: silentLogger,
    consumer: withConsumer
      ? { groupId: 'health', topics: ['orders'], fromBeginning: true, eachBatch: async () => undefined }
      : undefined,
  });
}

describe('checkLiveness() and checkReadiness() (on a fake driver)', () => {
  const open: KafkaConnection[] = [];
  afterEach(async () => {
    for (const connection of open.splice(0)) {
      await connection.close('abandon');
      connection.dispose();
    }
  });

  it('is ready and live while every connection serves', async () => {
    const consumer = createConnection(new FakeKafkaDriver());
    const producer = createConnection(new FakeKafkaDriver(), false);
    open.push(consumer, producer);
    await Promise.all([consumer.connect(), producer.connect()]);
    const connections = new Map([
      ['server', consumer],
      ['publisher', producer],
    ]);
    expect(checkReadiness(connections)).to.deep.equal({ ok: true, reasons: [] });
    expect(checkLiveness(connections)).to.deep.equal({ ok: true, reasons: [] });
  });

  it('is not ready while rebalancing or before any connection exists, and still live', async () => {
    const driver = new FakeKafkaDriver();
    const consumer = createConnection(driver);
    open.push(consumer);
    expect(checkReadiness(new Map())).to.deep.equal({ ok: false, reasons: ['no connection yet'] });
    await consumer.connect();
    driver.consumer.crash(new Error('coordinator moved'), true);
    const connections = new Map([['server', consumer]]);
    expect(checkReadiness(connections)).to.deep.equal({ ok: false, reasons: ['server is reconnecting'] });
    expect(checkLiveness(connections).ok).to.equal(true);
  });

  it('is not live once a connection failed, saying why', async () => {
    const driver = new FakeKafkaDriver();
    const consumer = createConnection(driver);
    open.push(consumer);
    await consumer.connect();
    driver.consumer.crash(Object.assign(new Error('fenced'), { name: 'KafkaJSProtocolError' }), false);
    expect(checkLiveness(new Map([['server', consumer]]))).to.deep.equal({
      ok: false,
      reasons: ['server failed: KafkaJSProtocolError: fenced'],
    });
  });

  it('is not live while a partition holds a record in flight past the threshold', async () => {
    const driver = new FakeKafkaDriver();
    const consumer = createConnection(driver);
    open.push(consumer);
    await consumer.connect();
    consumer.progress.batchStarted('orders', 0, 1, '1');
    const [partition] = consumer.partitions;
    const actor = consumer.actor.getSnapshot().children[partition.id] as unknown as {
      send(event: unknown): void;
    };
    const { version: _version, ...progress } = consumer.progress.sample('orders', 0);
    actor.send({ type: 'partition.sampled', progress, at: (progress.inFlightSince ?? 0) + 5_000 });
    const connections = new Map([['server', consumer]]);
    expect(checkLiveness(connections, { stuckAfterMs: 10_000 }).ok).to.equal(true);
    expect(checkLiveness(connections, { stuckAfterMs: 1_000 })).to.deep.equal({
      ok: false,
      reasons: ['server partition:orders/0 has had a record in flight for 5000 ms'],
    });
  });
});
