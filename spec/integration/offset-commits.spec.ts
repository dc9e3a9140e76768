import { expect } from 'chai';
import { Container } from 'inversify';
import { Controller, EventPattern, KafkaServer, Payload, silentLogger } from '../../lib';
import type { KafkaServerOptions } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { specDriver } from '../support/spec-driver';
import { createTopics, testKafka, uniqueName, withAdmin } from '../support/kafka-fixtures';

const PARTITIONS = 4;
const EVENTS = 200;

/** Starts a server whose one event handler counts what it sees. */
async function startCountingServer(topic: string, groupId: string, options: KafkaServerOptions = {}) {
  const seen: number[] = [];
  @Controller()
  class CountingController {
    @EventPattern(topic)
    count(@Payload() event: { n: number }): void {
      seen.push(event.n);
    }
  }
  const { brokers } = await useTestBroker();
  const container = new Container();
  container.bind(CountingController).toSelf();
  const server = new KafkaServer(container, {
    ...specDriver(),
    client: { brokers: [...brokers] },
    consumer: { groupId },
    subscribe: { fromBeginning: true },
    logger: silentLogger,
    ...options,
  });
  await server.listen();
  return { server, seen };
}

async function produceEvents(topic: string): Promise<void> {
  const producer = (await testKafka()).producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: EVENTS }, (_, n) => ({ key: `k${n % 16}`, value: JSON.stringify({ n }) })),
  });
  await producer.disconnect();
}

// The server's group is `${groupId}-server`: rxkafka appends NestJS's postfix.
async function committedTotal(groupId: string, topic: string): Promise<number> {
  const [committed] = await withAdmin((admin) =>
    admin.fetchOffsets({ groupId: `${groupId}-server`, topics: [topic] }),
  );
  return committed.partitions.reduce((sum, { offset }) => sum + Math.max(0, Number(offset)), 0);
}

async function waitFor(what: string, condition: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('offset commits (integration)', () => {
  it('commits every handled record in the background, while the server keeps running', async () => {
    const topic = uniqueName('commits');
    const groupId = uniqueName('commits-group');
    await createTopics([{ topic, numPartitions: PARTITIONS }]);
    const { server, seen } = await startCountingServer(topic, groupId);
    try {
      await produceEvents(topic);
      await waitFor('every event is handled', () => seen.length >= EVENTS);
      // No close(), no further batch: the commit of the last batches goes out by itself.
      await waitFor(
        'the group has committed every offset',
        async () => (await committedTotal(groupId, topic)) === EVENTS,
      );
      expect(server.connection.state).to.equal('assigned');
    } finally {
      await server.close();
    }
    expect(new Set(seen).size).to.equal(EVENTS);
  });

  it('commits everything handled at close(), even inside a long run.autoCommitInterval', async () => {
    const topic = uniqueName('commits-interval');
    const groupId = uniqueName('commits-interval-group');
    await createTopics([{ topic, numPartitions: PARTITIONS }]);
    const { server, seen } = await startCountingServer(topic, groupId, {
      run: { autoCommitInterval: 600_000 },
    });
    let report;
    try {
      await produceEvents(topic);
      await waitFor('every event is handled', () => seen.length >= EVENTS);
    } finally {
      report = await server.close();
    }
    expect(report.recordsFinished).to.equal(EVENTS);
    expect(await committedTotal(groupId, topic)).to.equal(EVENTS);
  });

  it('commits nothing with run.autoCommit: false, as NestJS: the application commits', async () => {
    const topic = uniqueName('commits-manual');
    const groupId = uniqueName('commits-manual-group');
    await createTopics([{ topic, numPartitions: PARTITIONS }]);
    const { server, seen } = await startCountingServer(topic, groupId, { run: { autoCommit: false } });
    try {
      await produceEvents(topic);
      await waitFor('every event is handled', () => seen.length >= EVENTS);
    } finally {
      await server.close();
    }
    expect(await committedTotal(groupId, topic)).to.equal(0);
  });
});
