import { SpanKind, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { firstValueFrom, from, lastValueFrom, map, take, toArray } from 'rxjs';
import { consume, createProducer, produceTo, silentLogger, type StreamProducer } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { specDriver } from '../support/spec-driver';
import { parentSpanIdOf, registerInMemoryTracing, type InMemoryTracing } from '../support/in-memory-tracing';
import { createTopics, uniqueName } from '../support/kafka-fixtures';

describe('consume() with OpenTelemetry (integration)', () => {
  let brokers: string[];
  let sdk: InMemoryTracing;
  let producer: StreamProducer;

  before(async () => {
    brokers = [...(await useTestBroker()).brokers];
    // The SDK first: producers and streams check for it once, when they are made.
    sdk = registerInMemoryTracing();
    producer = createProducer({
      ...specDriver(),
      client: { brokers, clientId: uniqueName('traced-in') },
      logger: silentLogger,
    });
  });

  after(async () => {
    await producer?.close();
    await sdk?.unregister();
  });

  it('runs the subscriber in a process span per record, child of its send span, ended by its commit()', async () => {
    const [topic] = await createTopics([{ topic: uniqueName('traced-consume') }]);
    await lastValueFrom(from(['a', 'b']).pipe(produceTo(topic, producer), toArray()));
    const send = sdk.spans().find((span) => span.name === `send ${topic}`) as ReadableSpan;
    const groupId = uniqueName('traced-consume-group');
    const processSpans = () => sdk.spans().filter((span) => span.name === `process ${topic}`);

    const seen = await firstValueFrom(
      consume({
        ...specDriver(),
        client: { brokers, clientId: `${groupId}-stream` },
        groupId,
        topics: [topic],
        fromBeginning: true,
        logger: silentLogger,
      }).pipe(
        map((record) => {
          const active = trace.getActiveSpan()?.spanContext().spanId;
          const endedBeforeCommit = processSpans().length;
          record.commit();
          return {
            value: String(record.value),
            active,
            endedBeforeCommit,
            endedAfterCommit: processSpans().length,
          };
        }),
        take(2),
        toArray(),
      ),
    );

    const spans = processSpans();
    expect(spans).to.have.length(2);
    expect(seen.map(({ value }) => value)).to.deep.equal(['a', 'b']);
    expect(seen.map(({ active }) => active)).to.deep.equal(spans.map((span) => span.spanContext().spanId));
    expect(
      seen.map(({ endedBeforeCommit, endedAfterCommit }) => [endedBeforeCommit, endedAfterCommit]),
    ).to.deep.equal([
      [0, 1],
      [1, 2],
    ]);
    spans.forEach((span, index) => {
      expect(span.kind).to.equal(SpanKind.CONSUMER);
      expect(span.spanContext().traceId).to.equal(send.spanContext().traceId);
      expect(parentSpanIdOf(span)).to.equal(send.spanContext().spanId);
      expect(span.attributes).to.include({
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': '0',
        'messaging.consumer.group.name': groupId,
        'messaging.client.id': `${groupId}-stream`,
        'messaging.kafka.offset': index,
      });
    });
  });
});
