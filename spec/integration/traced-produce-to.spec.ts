import { SpanKind, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { from, lastValueFrom, toArray } from 'rxjs';
import { createProducer, produceTo, silentLogger, type StreamProducer } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { specDriver } from '../support/spec-driver';
import { parentSpanIdOf, registerInMemoryTracing, type InMemoryTracing } from '../support/in-memory-tracing';
import { createTopics, uniqueName } from '../support/kafka-fixtures';
import { readTopic } from '../reliability/support/raw-kafka';

describe('produceTo() with OpenTelemetry (integration)', () => {
  let brokers: string[];
  let sdk: InMemoryTracing;
  let producer: StreamProducer;

  before(async () => {
    brokers = [...(await useTestBroker()).brokers];
    // The SDK first: the producer checks for it once, when it is made.
    sdk = registerInMemoryTracing();
    producer = createProducer({
      ...specDriver(),
      client: { brokers, clientId: uniqueName('traced-out') },
      logger: silentLogger,
    });
  });

  after(async () => {
    await producer?.close();
    await sdk?.unregister();
  });

  it('sends the records of one burst under one send span, a child of the caller’s, each carrying its context', async () => {
    const [topic] = await createTopics([{ topic: uniqueName('traced-produce-to') }]);
    const written = await trace.getTracer('app').startActiveSpan('job', async (span) => {
      const produced = await lastValueFrom(from(['a', 'b', 'c']).pipe(produceTo(topic, producer), toArray()));
      span.end();
      return produced;
    });
    expect(written.map(({ input }) => input)).to.deep.equal(['a', 'b', 'c']);

    const job = sdk.spans().find((span) => span.name === 'job') as ReadableSpan;
    const sends = sdk.spans().filter((span) => span.name === `send ${topic}`);
    expect(sends).to.have.length(1);
    const [send] = sends;
    expect(send.kind).to.equal(SpanKind.PRODUCER);
    expect(send.spanContext().traceId).to.equal(job.spanContext().traceId);
    expect(parentSpanIdOf(send)).to.equal(job.spanContext().spanId);
    expect(send.attributes).to.include({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': topic,
      'messaging.batch.message_count': 3,
    });

    const records = await readTopic(brokers, topic, (read) => read.length >= 3);
    const { traceId, spanId } = send.spanContext();
    expect(records.map(({ message }) => String(message.headers?.traceparent))).to.deep.equal([
      `00-${traceId}-${spanId}-01`,
      `00-${traceId}-${spanId}-01`,
      `00-${traceId}-${spanId}-01`,
    ]);
  });
});
