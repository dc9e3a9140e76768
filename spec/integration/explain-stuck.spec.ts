import { expect } from 'chai';
import { Container } from 'inversify';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, EventPattern, KafkaClient, KafkaServer, Payload, silentLogger } from '../../lib';
import { createHealthHandler, explainStuck, StuckWatch, type StuckExplanation } from '../../lib/inspector';
import { registerInMemoryTracing } from '../support/in-memory-tracing';
import { useTestBroker } from '../support/global-broker';
import { specDriver } from '../support/spec-driver';
import { createTopics, produceRecords, testKafka, uniqueName } from '../support/kafka-fixtures';
import { eventually } from '../reliability/support/eventually';
import { explainAMinuteLater, explainedHangingHandler, produceAccounts } from './support/hung-account';

/** The `traceparent` header of `topic`'s first record, read from its beginning by a plain kafkajs consumer. */
async function firstRecordTraceparent(topic: string): Promise<string | undefined> {
  const consumer = (await testKafka()).consumer({ groupId: uniqueName('reader') });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<string | undefined>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => resolve(message.headers?.traceparent?.toString()),
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

describe('explainStuck() on a real broker (integration)', () => {
  before(async function () {
    // The shared broker starts with the first integration spec that needs it: on a busy machine, slowly.
    this.timeout(180_000);
    await useTestBroker();
  });

  it('names the handler, offset and key a hanging handler holds its partition on', async () => {
    const topic = uniqueName('stuck');
    await createTopics([{ topic, numPartitions: 1 }]);
    let release: () => void = () => undefined;
    const hung = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];

    @Controller()
    class LedgerController {
      @EventPattern(topic)
      async post(@Payload() entry: { account: string }): Promise<void> {
        if (entry.account === 'acct-42') await hung;
        handled.push(entry.account);
      }
    }

    const brokers = [...(await useTestBroker()).brokers];
    const container = new Container();
    container.bind(LedgerController).toSelf();
    // Started with the process, before any handler runs: it knows only the runs it saw start.
    const watch = new StuckWatch();
    const server = new KafkaServer(container, {
      client: { brokers, clientId: topic },
      consumer: { groupId: topic },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
      ...specDriver(),
    });
    try {
      await server.listen();
      await produceAccounts(topic);
      const explained = await explainedHangingHandler([server], watch);
      expect(handled).to.deep.equal(['acct-1']);
      expect(explained).to.have.length(1);
      const [stuck] = explained;
      expect(stuck).to.deep.include({ source: 'server', topic, partition: 0 });
      expect(stuck.reason).to.deep.include({
        kind: 'handler-running',
        handler: 'LedgerController.post',
        pattern: topic,
        offset: '1',
        key: 'acct-42',
      });
      expect(stuck.sentence).to.match(
        new RegExp(
          `^server ${topic}/0 has not committed past (its start|offset 1) for 6\\d s: LedgerController\\.post \\(${topic}\\) ` +
            'has been running on offset 1, key "acct-42" for \\d+ s$',
        ),
      );
      // Released, the partition moves on, and nothing is stuck any more.
      release();
      await eventually(
        () => handled.length === 3 && explainAMinuteLater([server], watch).length === 0,
        'the partition to move',
        30_000,
      );
    } finally {
      release();
      watch.close();
      await server.close();
    }
  });

  it('shows the trace id of the held record’s traceparent in /healthz’s stuck entry, with no SDK registered', async () => {
    const topic = uniqueName('stuck-traced');
    await createTopics([{ topic, numPartitions: 1 }]);
    let release: () => void = () => undefined;
    const hung = new Promise<void>((resolve) => (release = resolve));
    let started = false;

    @Controller()
    class ShipmentController {
      @EventPattern(topic)
      async ship(): Promise<void> {
        started = true;
        await hung;
      }
    }

    const brokers = [...(await useTestBroker()).brokers];
    const container = new Container();
    container.bind(ShipmentController).toSelf();
    const server = new KafkaServer(container, {
      client: { brokers, clientId: topic },
      consumer: { groupId: topic },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
      ...specDriver(),
    });
    // A threshold of 0: whatever holds the partition now is explained.
    const health = createHealthHandler({ sources: [server], health: { explainStuckAfterMs: 0 } });
    const http = createServer((request, response) => {
      if (!health.handle(request, response)) response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/healthz`;
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    try {
      await server.listen();
      await produceRecords(topic, [
        {
          key: 'parcel-9',
          value: JSON.stringify({ parcel: 9 }),
          headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` },
        },
      ]);
      await eventually(() => started, 'the handler to start on the record', 30_000);
      const { stuck } = (await (await fetch(url)).json()) as { stuck: StuckExplanation[] };
      expect(stuck).to.have.length(1);
      expect(stuck[0].reason).to.deep.include({
        kind: 'handler-running',
        handler: 'ShipmentController.ship',
        offset: '0',
        key: 'parcel-9',
        traceId,
      });
      expect(stuck[0].sentence).to.include(`offset 0, key "parcel-9", trace ${traceId} for`);
    } finally {
      release();
      health.close();
      await new Promise((resolve) => http.close(resolve));
      await server.close();
    }
  });

  it('shows the trace id of a client’s pending request, the trace of its send span', async function () {
    this.timeout(60_000);
    const topic = uniqueName('stuck-request');
    // Nobody serves the request topic: the request waits.
    await createTopics([{ topic }, { topic: `${topic}.reply` }]);
    const brokers = [...(await useTestBroker()).brokers];
    // The SDK first: a client checks for it once, when it is made.
    const sdk = registerInMemoryTracing();
    const client = new KafkaClient({
      client: { brokers, clientId: topic },
      consumer: { groupId: topic },
      logger: silentLogger,
      requestTimeoutMs: 0,
      ...specDriver(),
    });
    try {
      client.subscribeToResponseOf(topic);
      await client.connect();
      const waiting = client.send(topic, { parcel: 9 }).subscribe({ error: () => undefined });
      try {
        let explained: StuckExplanation[] = [];
        await eventually(
          () => {
            explained = explainStuck([client], { now: () => Date.now() + 60_500 });
            return explained.length > 0;
          },
          'the pending request',
          30_000,
          () => JSON.stringify(explained),
        );
        const [stuck] = explained;
        if (stuck.reason.kind !== 'request-pending')
          throw new Error(`expected request-pending, got ${stuck.reason.kind}`);
        expect(stuck.reason.traceId).to.match(/^[0-9a-f]{32}$/);
        expect(stuck.sentence).to.include(`trace ${stuck.reason.traceId})`);
        // The id names the trace the request's send span (still open) belongs to: it is the one its record carries.
        const produced = await firstRecordTraceparent(topic);
        expect(produced).to.include(`00-${stuck.reason.traceId}-`);
      } finally {
        waiting.unsubscribe();
      }
    } finally {
      await client.close();
      await sdk.unregister();
    }
  });
});
