import { expect } from 'chai';
import { Container } from 'inversify';
import { lastValueFrom, type Subscription } from 'rxjs';
import { KafkaClient, KafkaServer, replay, silentLogger, type ConnectionStateValue } from '../../lib';
import { uniqueName } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';
import { EventStream, type NumberedEvent } from './support/event-stream';
import { eventually, sleep } from './support/eventually';
import { usePrivateKafka } from './support/private-kafka';
import { createTopicsOn } from './support/raw-kafka';
import { createCountingController } from './support/counting-controller';
import { Tally } from './support/tally';

const EVENTS = 10_000;

describe('a broker restart during an event stream (reliability)', () => {
  const privateKafka = usePrivateKafka(1, { startMs: 180_000, stopMs: 60_000 });

  it('handles every acknowledged event of 10,000 at least once and reports the duplicates; a live replay of the topic reads each one too', async function () {
    this.timeout(300_000);
    const brokers = [...privateKafka().brokers];
    const topic = uniqueName('restart');
    await createTopicsOn(brokers, [{ topic, numPartitions: 4 }]);

    const handled = new Tally();
    const controller = createCountingController(topic, handled);
    const container = new Container();
    container.bind(controller).toSelf().inSingletonScope();
    const server = new KafkaServer(container, {
      controllers: [controller],
      client: { brokers, clientId: topic },
      consumer: { groupId: uniqueName('restart-group') },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
      ...specDriver(),
    });
    // The stream goes through rxkafka's own producer: an acknowledged event is one rxkafka said was written.
    const client = new KafkaClient({
      // Generous retries: the publishing side must ride out the outage, so that it loses nothing either.
      client: {
        brokers,
        clientId: `${topic}-publisher`,
        retry: { retries: 60, initialRetryTime: 200, maxRetryTime: 2_000 },
      },
      producerOnlyMode: true,
      logger: silentLogger,
      ...specDriver(),
    });

    // A replay following the topic live rides out the restart too (on platformatic it reads without a group).
    const replayed = new Tally();
    const reader = replay<NumberedEvent>(topic, {
      client: { brokers, clientId: `${topic}-replay` },
      until: 'live',
      logger: silentLogger,
      ...specDriver(),
    });
    let replayError: unknown;

    const states: ConnectionStateValue[] = [];
    let subscription: Subscription | undefined;
    const replaying = reader.subscribe({
      next: (record) => replayed.add(record.value.id),
      error: (error: unknown) => (replayError = error),
    });
    try {
      await server.listen();
      subscription = server.transitions$.subscribe((transition) => states.push(transition.to));
      await client.connect();
      const stream = new EventStream({
        publish: (events) =>
          lastValueFrom(client.emitBatch(topic, { messages: events }), { defaultValue: undefined }),
        events: EVENTS,
        batchSize: 50,
        pauseMs: 15,
      });
      const streaming = stream.run();

      await eventually(() => handled.distinct >= 3_000, '3,000 events handled before the restart', 120_000);
      const handledBeforeStop = handled.distinct;
      await privateKafka().stopNode(1, 'SIGTERM');
      await sleep(3_000);
      await privateKafka().startNode(1);

      const { acknowledged, failedPublications } = await streaming;
      await eventually(
        () => handled.missing(acknowledged).length === 0,
        'every acknowledged event to be handled',
        180_000,
        () =>
          `${handled.missing(acknowledged).length} of ${acknowledged.size} not handled yet; ` +
          `server states since it listened: ${states.join(' → ')}`,
      );
      await eventually(
        () => replayed.missing(acknowledged).length === 0 || replayError !== undefined,
        'every acknowledged event to be replayed',
        120_000,
        () => `${replayed.missing(acknowledged).length} of ${acknowledged.size} not replayed yet`,
      );
      await eventually(
        () => server.connection.state === 'assigned',
        'the server to be assigned again',
        60_000,
      );

      process.stdout.write(
        `      [broker restart] ${EVENTS} events, ${acknowledged.size} acknowledged (${failedPublications} publications of 50 failed), ` +
          `${handledBeforeStop} handled before the broker stopped; handled ${handled.distinct} distinct, ` +
          `${handled.total} in all, duplicates ${handled.duplicates}, lost ${handled.missing(acknowledged).length}; ` +
          `server states after the restart: ${states.join(' → ')}; the replay read ${replayed.distinct} ` +
          `distinct (${replayed.duplicates} more than once)\n`,
      );

      expect(acknowledged.size, 'events acknowledged by Kafka').to.equal(EVENTS);
      expect(handled.missing(acknowledged), 'acknowledged events never handled').to.deep.equal([]);
      expect(handled.total).to.equal(handled.distinct + handled.duplicates);
      expect(server.connection.state).to.equal('assigned');
      // Depending on how long the broker is away, kafkajs rides it out or the consumer crashes and restarts
      // (reconnecting → assigned); it never gives up.
      expect(states, 'states after the restart').not.to.include('failed');
      expect(replayError, 'the replay’s error').to.equal(undefined);
      expect(replayed.missing(acknowledged), 'acknowledged events never replayed').to.deep.equal([]);
    } finally {
      replaying.unsubscribe();
      await reader.close();
      subscription?.unsubscribe();
      await client.close();
      await server.close({ mode: 'abandon' });
    }
  });
});
