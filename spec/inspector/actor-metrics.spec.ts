import { expect } from 'chai';
import { firstValueFrom } from 'rxjs';
import { KafkaClient, KafkaHeaders } from '../../lib';
import { KafkaConnection } from '../../lib/connection/kafka-connection';
import { ActorHistory } from '../../lib/inspector/actor-history';
import { ActorMetrics, attachMetrics } from '../../lib/inspector/actor-metrics';
import type { ServerStats } from '../../lib/server/kafka-server';
import { SourceFollower } from '../../lib/inspector/inspector-source';
import { silentLogger } from '../../lib/logger';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';

const settle = () => new Promise((resolve) => setImmediate(resolve));

function createConsumerConnection(driver: FakeKafkaDriver, clientId: string): KafkaConnection {
  return new KafkaConnection({
    driver,
    clientId,
    logger: silentLogger,
    consumer: { groupId: clientId, topics: [`${clientId}.in`], eachBatch: async () => undefined },
  });
}

describe('ActorMetrics (on a fake driver)', () => {
  let ordersDriver: FakeKafkaDriver;
  let orders: KafkaConnection;
  let otherDriver: FakeKafkaDriver;
  let other: KafkaConnection;
  let clientDriver: FakeKafkaDriver;
  let client: KafkaClient;
  let metrics: ActorMetrics;
  let detach: () => void;

  beforeEach(async () => {
    ordersDriver = new FakeKafkaDriver();
    orders = createConsumerConnection(ordersDriver, 'orders');
    otherDriver = new FakeKafkaDriver();
    other = createConsumerConnection(otherDriver, 'other');
    clientDriver = new FakeKafkaDriver();
    client = new KafkaClient({ driver: clientDriver, logger: silentLogger, requestTimeoutMs: 10_000 });
    client.subscribeToResponseOf('math.sum');
    const sources = [
      { name: 'orders', source: orders },
      { name: 'client', source: client },
    ];
    ({ metrics, detach } = attachMetrics(new SourceFollower(new ActorHistory(10), 'spec', sources), sources));
    await Promise.all([orders.connect(), other.connect(), client.connect()]);
  });

  afterEach(async () => {
    detach();
    await client.close();
    for (const connection of [orders, other]) {
      await connection.close('abandon');
      connection.dispose();
    }
  });

  describe('rxkafka_transitions_total', () => {
    it('counts each source’s transitions from rxkafka:connection:transition, by the states left and entered', async () => {
      ordersDriver.consumer.rebalance();
      await settle();
      const text = await metrics.text();
      expect(text).to.include('rxkafka_transitions_total{source="orders",from="idle",to="connecting"} 1');
      expect(text).to.include('rxkafka_transitions_total{source="orders",from="connecting",to="assigned"} 1');
      expect(text).to.include(
        'rxkafka_transitions_total{source="orders",from="assigned",to="rebalancing"} 1',
      );
      expect(text).to.include(
        'rxkafka_transitions_total{source="orders",from="rebalancing",to="assigned"} 1',
      );
      expect(text).to.include('rxkafka_transitions_total{source="client",from="connecting",to="assigned"} 1');
    });

    it('leaves out connections that are not among its sources', async () => {
      otherDriver.consumer.rebalance();
      await settle();
      const text = await metrics.text();
      expect(text).not.to.include('source="other"');
      expect(text).not.to.include('to="rebalancing"');
    });

    it('stops counting once detached', async () => {
      detach();
      ordersDriver.consumer.rebalance();
      await settle();
      expect(await metrics.text()).not.to.include('to="rebalancing"');
    });
  });

  describe('rxkafka_request_duration_seconds', () => {
    it('observes each request of a client source from rxkafka:request:settled, by outcome', async () => {
      const answer = firstValueFrom(client.send('math.sum', [1, 2]));
      await settle();
      const id = clientDriver.producer.records[0].record.headers?.[KafkaHeaders.CORRELATION_ID];
      await clientDriver.consumer.deliver('math.sum.reply', 0, [
        {
          value: '3',
          headers: {
            [KafkaHeaders.CORRELATION_ID]: Buffer.from(String(id)),
            [KafkaHeaders.NEST_IS_DISPOSED]: Buffer.from([0]),
          },
        },
      ]);
      expect(await answer).to.equal('3');
      await firstValueFrom(client.send('math.sum', [1], { timeoutMs: 5 })).catch(() => undefined);
      const text = await metrics.text();
      expect(text).to.match(
        /rxkafka_request_duration_seconds_count\{source="client",outcome="answered"\} 1\b/,
      );
      expect(text).to.match(
        /rxkafka_request_duration_seconds_count\{source="client",outcome="timed-out"\} 1\b/,
      );
    });
  });
});

describe('ActorMetrics’s retry-topic figures (from server stats)', () => {
  const stats: ServerStats = {
    recordsFinished: 7,
    recordsAbandoned: 0,
    repliesSent: 0,
    handlerFailures: 0,
    deadLetters: 1,
    retriesForwarded: 3,
    retries: [
      { topic: 'orders', attempt: 1, forwarded: 2 },
      { topic: 'orders', attempt: 2, forwarded: 1 },
    ],
    retryWaiting: [
      {
        topic: 'orders.retry.1000',
        source: 'orders',
        waiting: 4,
        oldestDueAt: 1_700_000_000_250,
        partitions: [
          { partition: 0, waiting: 3, offset: '12', dueAt: 1_700_000_000_250 },
          { partition: 1, waiting: 1, offset: '5', dueAt: 1_700_000_001_000 },
        ],
      },
      { topic: 'orders.retry.10000', source: 'orders', waiting: 0, partitions: [] },
    ],
  };
  const metricsOf = (served: ServerStats) =>
    new ActorMetrics(
      () => new Map(),
      () => new Map(),
      () => new Map([['server', served]]),
    );

  it('counts forwards by source topic and failed attempt', async () => {
    const text = await metricsOf(stats).text();
    expect(text).to.include('rxkafka_retries_forwarded_total{source="server",topic="orders",attempt="1"} 2');
    expect(text).to.include('rxkafka_retries_forwarded_total{source="server",topic="orders",attempt="2"} 1');
  });

  it('shows the records waiting on every retry topic, 0 where none waits', async () => {
    const text = await metricsOf(stats).text();
    expect(text).to.include('# TYPE rxkafka_retry_waiting_records gauge');
    expect(text).to.include('rxkafka_retry_waiting_records{source="server",topic="orders.retry.1000"} 4');
    expect(text).to.include('rxkafka_retry_waiting_records{source="server",topic="orders.retry.10000"} 0');
  });

  it('shows the oldest waiting record’s due time in Unix seconds, only for topics where one waits', async () => {
    const text = await metricsOf(stats).text();
    expect(text).to.include('# TYPE rxkafka_retry_oldest_due_timestamp_seconds gauge');
    expect(text).to.include(
      'rxkafka_retry_oldest_due_timestamp_seconds{source="server",topic="orders.retry.1000"} 1700000000.25',
    );
    expect(text).not.to.include(
      'rxkafka_retry_oldest_due_timestamp_seconds{source="server",topic="orders.retry.10000"}',
    );
  });

  it('drops a topic’s due time once nothing waits on it', async () => {
    let current = stats;
    const metrics = new ActorMetrics(
      () => new Map(),
      () => new Map(),
      () => new Map([['server', current]]),
    );
    expect(await metrics.text()).to.match(/^rxkafka_retry_oldest_due_timestamp_seconds\{/m);
    current = {
      ...stats,
      retryWaiting: stats.retryWaiting.map(({ topic, source }) => ({
        topic,
        source,
        waiting: 0,
        partitions: [],
      })),
    };
    const text = await metrics.text();
    expect(text).to.include('rxkafka_retry_waiting_records{source="server",topic="orders.retry.1000"} 0');
    expect(text).not.to.match(/^rxkafka_retry_oldest_due_timestamp_seconds\{/m);
  });
});
