import { expect } from 'chai';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { KafkaClient, KafkaHeaders, RxKafkaError, silentLogger } from '../../lib';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { parentSpanIdOf, registerInMemoryTracing, type InMemoryTracing } from '../support/in-memory-tracing';

const settle = () => new Promise((resolve) => setImmediate(resolve));

async function connectClient(): Promise<{ client: KafkaClient; driver: FakeKafkaDriver }> {
  const driver = new FakeKafkaDriver();
  driver.endOffsets.set('math.sum.reply', [{ partition: 0, high: '0' }]);
  const client = new KafkaClient({ driver, logger: silentLogger, requestTimeoutMs: 10_000 });
  client.subscribeToResponseOf('math.sum');
  await client.connect();
  return { client, driver };
}

/** A reply as a traced server writes it: its own send span's context in `traceparent`. */
function reply(id: string, value: string, traceparent: string, final = true) {
  return {
    value,
    headers: {
      [KafkaHeaders.CORRELATION_ID]: Buffer.from(id),
      traceparent: Buffer.from(traceparent),
      ...(final ? { [KafkaHeaders.NEST_IS_DISPOSED]: Buffer.from([0]) } : {}),
    },
  };
}

const SERVER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('KafkaClient tracing (on a fake driver)', () => {
  context('without an OpenTelemetry SDK', () => {
    it('adds no trace headers to requests, events or batches', async () => {
      const { client, driver } = await connectClient();
      void firstValueFrom(client.send('math.sum', [1])).catch(() => undefined);
      await lastValueFrom(client.emit('math.added', { n: 1 }), { defaultValue: undefined });
      await lastValueFrom(client.emitBatch('math.added', { messages: [1, 2] }), { defaultValue: undefined });
      await settle();
      expect(driver.producer.records).to.have.length(4);
      for (const { record } of driver.producer.records) {
        expect(record.headers ?? {}).not.to.have.any.keys('traceparent', 'tracestate');
      }
      await client.close();
    });
  });

  context('with an OpenTelemetry SDK', () => {
    let sdk: InMemoryTracing;
    let client: KafkaClient;
    let driver: FakeKafkaDriver;

    beforeEach(async () => {
      sdk = registerInMemoryTracing();
      ({ client, driver } = await connectClient());
    });

    afterEach(async () => {
      await client.close();
      await sdk.unregister();
    });

    it('sends a request under its send span and processes each reply as a child of the reply’s context', async () => {
      const result = lastValueFrom(client.send('math.sum', [1, 2]).pipe(toArray()));
      await settle();
      const [sent] = driver.producer.records;
      const id = String(sent.record.headers?.[KafkaHeaders.CORRELATION_ID]);
      await driver.consumer.deliver('math.sum.reply', 0, [
        reply(id, 'a', `00-${SERVER_TRACE}-00f067aa0ba902b7-01`, false),
        reply(id, 'b', `00-${SERVER_TRACE}-00f067aa0ba902b8-01`),
      ]);
      expect(await result).to.deep.equal(['a', 'b']);

      const [firstReply, request, secondReply] = sdk.spans();
      expect(request.name).to.equal('send math.sum');
      expect(request.kind).to.equal(SpanKind.PRODUCER);
      expect(request.attributes['messaging.message.conversation_id']).to.equal(id);
      const { traceId, spanId } = request.spanContext();
      expect(sent.record.headers?.traceparent).to.equal(`00-${traceId}-${spanId}-01`);
      for (const [span, parent] of [
        [firstReply, '00f067aa0ba902b7'],
        [secondReply, '00f067aa0ba902b8'],
      ] as const) {
        expect(span.name).to.equal('process math.sum.reply');
        expect(span.kind).to.equal(SpanKind.CONSUMER);
        expect(span.spanContext().traceId).to.equal(SERVER_TRACE);
        expect(parentSpanIdOf(span)).to.equal(parent);
        expect(span.attributes).to.include({
          'messaging.destination.name': 'math.sum.reply',
          'messaging.destination.partition.id': '0',
          'messaging.consumer.group.name': 'nestjs-group-client',
          'messaging.message.conversation_id': id,
        });
      }
    });

    it('ends the request span failed with RXK_REQUEST_TIMEOUT when no reply comes', async () => {
      const error = await firstValueFrom(client.send('math.sum', [1], { timeoutMs: 10 })).catch((e) => e);
      expect((error as RxKafkaError).code).to.equal('RXK_REQUEST_TIMEOUT');
      const [request] = sdk.spans();
      expect(request.name).to.equal('send math.sum');
      expect(request.attributes['error.type']).to.equal('RXK_REQUEST_TIMEOUT');
      expect(request.status.code).to.equal(SpanStatusCode.ERROR);
    });

    it('sends an emitBatch() in one send span whose context every record carries', async () => {
      await lastValueFrom(client.emitBatch('math.added', { messages: [1, 2, 3] }), {
        defaultValue: undefined,
      });
      const [span] = sdk.spans();
      expect(span.name).to.equal('send math.added');
      expect(span.attributes['messaging.batch.message_count']).to.equal(3);
      const { traceId, spanId } = span.spanContext();
      expect(driver.producer.records.map(({ record }) => record.headers?.traceparent)).to.deep.equal(
        Array(3).fill(`00-${traceId}-${spanId}-01`),
      );
    });
  });
});
