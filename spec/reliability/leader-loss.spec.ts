import { expect } from 'chai';
import { Container } from 'inversify';
import { lastValueFrom, type Subscription } from 'rxjs';
import { KafkaClient, KafkaServer, silentLogger, type ConnectionStateValue } from '../../lib';
import { uniqueName } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';
import { EventStream } from './support/event-stream';
import { eventually } from './support/eventually';
import { usePrivateKafka } from './support/private-kafka';
import { createRawKafka, createTopicsOn } from './support/raw-kafka';
import { createCountingController } from './support/counting-controller';
import { Tally } from './support/tally';

const EVENTS = 5_000;
/** kafkajs retries long enough to outlast the fencing of a dead broker and the leader election. */
const GENEROUS_RETRY = { retries: 60, initialRetryTime: 200, maxRetryTime: 2_000 };

describe('the leader of a partition killed in a 3-broker cluster (reliability)', () => {
  const privateKafka = usePrivateKafka(3, { startMs: 240_000, stopMs: 90_000 });

  it('handles every event the client got acknowledged (acks -1, min.insync.replicas 2) at least once', async function () {
    this.timeout(300_000);
    const brokers = [...privateKafka().brokers];
    const topic = uniqueName('leader');
    await createTopicsOn(brokers, [
      {
        topic,
        numPartitions: 3,
        replicationFactor: 3,
        configEntries: [{ name: 'min.insync.replicas', value: '2' }],
      },
    ]);

    const handled = new Tally();
    const controller = createCountingController(topic, handled);
    const container = new Container();
    container.bind(controller).toSelf().inSingletonScope();
    const server = new KafkaServer(container, {
      controllers: [controller],
      client: { brokers, clientId: topic, retry: GENEROUS_RETRY },
      consumer: { groupId: uniqueName('leader-group') },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
      ...specDriver(),
    });
    // The stream goes through rxkafka's own producer: an acknowledged event is one rxkafka said was written.
    const client = new KafkaClient({
      client: { brokers, clientId: `${topic}-publisher`, retry: GENEROUS_RETRY },
      producerOnlyMode: true,
      send: { acks: -1 },
      logger: silentLogger,
      ...specDriver(),
    });
    const admin = createRawKafka(brokers, { retry: GENEROUS_RETRY }).admin();

    const states: ConnectionStateValue[] = [];
    let subscription: Subscription | undefined;
    try {
      await server.listen();
      subscription = server.transitions$.subscribe((transition) => states.push(transition.to));
      await Promise.all([client.connect(), admin.connect()]);
      const stream = new EventStream({
        publish: (events) =>
          lastValueFrom(client.emitBatch(topic, { messages: events }), { defaultValue: undefined }),
        events: EVENTS,
        batchSize: 25,
        pauseMs: 10,
      });
      const streaming = stream.run();

      await eventually(() => handled.distinct >= 1_000, '1,000 events handled before the kill', 120_000);
      const [{ partitions }] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      const leader = partitions.find((partition) => partition.partitionId === 0)!.leader;
      const handledBeforeKill = handled.distinct;
      await privateKafka().stopNode(leader, 'SIGKILL');

      const { acknowledged, failedPublications } = await streaming;
      await eventually(
        () => handled.missing(acknowledged).length === 0,
        'every acknowledged event to be handled',
        180_000,
        () => `${handled.missing(acknowledged).length} of ${acknowledged.size} not handled yet`,
      );

      process.stdout.write(
        `      [leader loss] ${EVENTS} events; node ${leader} (leader of partition 0) killed after ` +
          `${handledBeforeKill} were handled; acknowledged ${acknowledged.size} (${failedPublications} ` +
          `publications of 25 failed); handled ${handled.distinct} distinct, ${handled.total} in all, duplicates ` +
          `${handled.duplicates}, lost ${handled.missing(acknowledged).length}; server states: ` +
          `${states.join(' → ') || 'no change'}\n`,
      );

      expect(acknowledged.size, 'events acknowledged').to.be.above(handledBeforeKill);
      expect(handled.missing(acknowledged), 'acknowledged events never handled').to.deep.equal([]);
      expect(handled.total).to.equal(handled.distinct + handled.duplicates);
    } finally {
      subscription?.unsubscribe();
      await admin.disconnect();
      await client.close();
      await server.close({ mode: 'abandon' });
    }
  });
});
