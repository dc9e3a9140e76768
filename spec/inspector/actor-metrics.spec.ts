import { expect } from 'chai';
import { firstValueFrom } from 'rxjs';
import { KafkaClient, KafkaHeaders } from '../../lib';
import { KafkaConnection } from '../../lib/connection/kafka-connection';
import { ActorHistory } from '../../lib/inspector/actor-history';
import { attachMetrics, type ActorMetrics } from '../../lib/inspector/actor-metrics';
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
