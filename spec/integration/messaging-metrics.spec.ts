import { expect } from 'chai';
import { Container } from 'inversify';
import { lastValueFrom } from 'rxjs';
import { Controller, KafkaClient, KafkaServer, MessagePattern, Payload, silentLogger } from '../../lib';
import { MESSAGING_METRICS } from '../../lib/diagnostics/messaging-metrics';
import { useTestBroker } from '../support/global-broker';
import { specDriver } from '../support/spec-driver';
import { registerInMemoryMetrics, type InMemoryMetrics } from '../support/in-memory-metrics';
import { createTopics, uniqueName } from '../support/kafka-fixtures';

describe('messaging metrics (OpenTelemetry) on a real broker (integration)', () => {
  before(async function () {
    this.timeout(180_000);
    await useTestBroker();
  });

  it('counts a request and its reply as sent and consumed, and times the handler run', async function () {
    this.timeout(60_000);
    const topic = uniqueName('metered');
    await createTopics([{ topic }, { topic: `${topic}.reply` }]);

    @Controller()
    class SumController {
      @MessagePattern(topic)
      sum(@Payload() numbers: number[]): { total: number } {
        return { total: numbers.reduce((total, n) => total + n, 0) };
      }
    }

    const brokers = [...(await useTestBroker()).brokers];
    // The meter provider first: connections check for it once, when they are made.
    const sdk: InMemoryMetrics = registerInMemoryMetrics();
    const container = new Container();
    container.bind(SumController).toSelf();
    const server = new KafkaServer(container, {
      ...specDriver(),
      client: { brokers, clientId: `${topic}-svc` },
      consumer: { groupId: topic },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
    });
    const client = new KafkaClient({
      ...specDriver(),
      client: { brokers, clientId: `${topic}-caller` },
      consumer: { groupId: topic },
      logger: silentLogger,
      requestTimeoutMs: 30_000,
    });
    try {
      await server.listen();
      client.subscribeToResponseOf(topic);
      await client.connect();
      expect(await lastValueFrom(client.send(topic, [1, 2, 3]))).to.deep.equal({ total: 6 });

      // A message counts as sent once the broker has acknowledged it. The reply's acknowledgement reaches the
      // server's producer on its own connection, and may come after the client has already read the reply.
      const sent = await pointsOnceSeen(sdk, MESSAGING_METRICS.sentMessages, [topic, `${topic}.reply`]);
      const sentTo = (destination: string) =>
        sent.find((point) => point.attributes['messaging.destination.name'] === destination);
      expect(sentTo(topic)?.value).to.equal(1);
      // The client ids as NestJS suffixes them (`-client`, `-server`).
      expect(sentTo(topic)?.attributes['messaging.client.id']).to.match(new RegExp(`^${topic}-caller`));
      expect(sentTo(`${topic}.reply`)?.value).to.equal(1);
      expect(sentTo(`${topic}.reply`)?.attributes['messaging.client.id']).to.match(
        new RegExp(`^${topic}-svc`),
      );

      const consumed = await sdk.points(MESSAGING_METRICS.consumedMessages);
      const consumedFrom = (destination: string) =>
        consumed.find((point) => point.attributes['messaging.destination.name'] === destination);
      expect(consumedFrom(topic)?.value).to.equal(1);
      expect(consumedFrom(topic)?.attributes).to.include({
        'messaging.consumer.group.name': `${topic}-server`,
      });
      expect(consumedFrom(`${topic}.reply`)?.value).to.equal(1);

      const processed = await sdk.points(MESSAGING_METRICS.processDuration);
      const run = processed.find((point) => point.attributes['messaging.destination.name'] === topic);
      expect(run?.value).to.deep.include({ count: 1 });
      expect(run?.attributes).to.not.have.property('error.type');

      const sends = await sdk.points(MESSAGING_METRICS.operationDuration);
      expect(sends.map((point) => point.attributes['messaging.destination.name'])).to.include.members([
        topic,
        `${topic}.reply`,
      ]);
    } finally {
      await client.close();
      await server.close();
      await sdk.unregister();
    }
  });
});

/** The points of `name` as soon as every destination has one, or what is there after 10 s (the spec then fails). */
async function pointsOnceSeen(sdk: InMemoryMetrics, name: string, destinations: readonly string[]) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const points = await sdk.points(name);
    const seen = (destination: string) =>
      points.some((point) => point.attributes['messaging.destination.name'] === destination);
    if (destinations.every(seen) || Date.now() > deadline) return points;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
