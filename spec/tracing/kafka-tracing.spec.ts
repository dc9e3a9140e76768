import { expect } from 'chai';
import { SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import type { OutgoingRecord } from '../../lib';
import { createKafkaTracing, type KafkaTracing } from '../../lib/tracing/kafka-tracing';
import { RecordingLogger } from '../support/recording-logger';
import { parentSpanIdOf, registerInMemoryTracing, type InMemoryTracing } from '../support/in-memory-tracing';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const VALID = `00-${TRACE_ID}-${SPAN_ID}-01`;

function consumed(headers?: Record<string, string | Buffer>) {
  return { topic: 'orders', partition: 2, offset: '41', key: Buffer.from('order-7'), value: null, headers };
}

describe('createKafkaTracing', () => {
  it('answers undefined while no SDK is registered: nothing is traced or added to records', () => {
    expect(createKafkaTracing({ clientId: 'c' }, new RecordingLogger())).to.equal(undefined);
  });

  it('answers undefined again once the SDK is unregistered', async () => {
    const sdk = registerInMemoryTracing();
    expect(createKafkaTracing({ clientId: 'c' }, new RecordingLogger())).not.to.equal(undefined);
    await sdk.unregister();
    expect(createKafkaTracing({ clientId: 'c' }, new RecordingLogger())).to.equal(undefined);
  });
});

describe('KafkaTracing', () => {
  let sdk: InMemoryTracing;
  let logger: RecordingLogger;
  let tracing: KafkaTracing;

  beforeEach(() => {
    sdk = registerInMemoryTracing();
    logger = new RecordingLogger();
    tracing = createKafkaTracing({ clientId: 'svc', groupId: 'svc-group' }, logger) as KafkaTracing;
  });

  afterEach(() => sdk.unregister());

  describe('.startProcess()', () => {
    it('continues the trace a valid traceparent carries, with the messaging attributes', () => {
      tracing.startProcess(consumed({ traceparent: Buffer.from(VALID) }), 'corr-1').end();
      const [span] = sdk.spans();
      expect(span.name).to.equal('process orders');
      expect(span.kind).to.equal(SpanKind.CONSUMER);
      expect(span.spanContext().traceId).to.equal(TRACE_ID);
      expect(parentSpanIdOf(span)).to.equal(SPAN_ID);
      expect(span.attributes).to.deep.equal({
        'messaging.system': 'kafka',
        'messaging.operation.name': 'process',
        'messaging.operation.type': 'process',
        'messaging.destination.name': 'orders',
        'messaging.destination.partition.id': '2',
        'messaging.client.id': 'svc',
        'messaging.consumer.group.name': 'svc-group',
        'messaging.kafka.offset': 41,
        'messaging.kafka.message.key': 'order-7',
        'messaging.kafka.message.tombstone': true,
        'messaging.message.conversation_id': 'corr-1',
      });
    });

    it('starts a new trace for a record without headers', () => {
      tracing.startProcess(consumed()).end();
      const [span] = sdk.spans();
      expect(parentSpanIdOf(span)).to.equal(undefined);
      expect(span.spanContext().traceId).not.to.equal(TRACE_ID);
      expect(logger.entries).to.deep.equal([]);
    });

    const malformed: Record<string, string> = {
      'too short': `00-${TRACE_ID}-${SPAN_ID.slice(1)}-01`,
      'not hex': `00-${TRACE_ID.replace('a', 'z')}-${SPAN_ID}-01`,
      'the forbidden version ff': `ff-${TRACE_ID}-${SPAN_ID}-01`,
      'an all-zero trace id': `00-${'0'.repeat(32)}-${SPAN_ID}-01`,
      'empty text': '',
      'binary bytes': '\u0000\u00ff\u0001',
    };
    for (const [what, traceparent] of Object.entries(malformed)) {
      it(`starts a new trace for a traceparent of ${what}, logged at debug only`, () => {
        const process = tracing.startProcess(consumed({ traceparent }));
        process.end();
        const [span] = sdk.spans();
        expect(parentSpanIdOf(span)).to.equal(undefined);
        expect(span.spanContext().traceId).not.to.equal(TRACE_ID);
        expect(logger.entries.map((entry) => entry.level)).to.deep.equal(['debug']);
        expect(logger.entries[0].fields).to.include({ topic: 'orders', partition: 2, offset: '41' });
      });
    }

    it('marks a failed processing with error.type and an error status', () => {
      const process = tracing.startProcess(consumed());
      process.recordError(Object.assign(new Error('late'), { code: 'RXK_HANDLER_TIMEOUT' }));
      process.end();
      const [span] = sdk.spans();
      expect(span.attributes['error.type']).to.equal('RXK_HANDLER_TIMEOUT');
      expect(span.status.code).to.equal(SpanStatusCode.ERROR);
    });

    it('ends its span once, however often it is ended', () => {
      const process = tracing.startProcess(consumed());
      process.end();
      process.end(new Error('again'));
      expect(sdk.spans()).to.have.length(1);
      expect(sdk.spans()[0].status.code).to.equal(SpanStatusCode.UNSET);
    });
  });

  describe('.send()', () => {
    it('sends the records with its span’s context as a traceparent string, leaving the originals alone', async () => {
      const original: OutgoingRecord = { value: 'v', headers: { app: 'x' } };
      let sent: OutgoingRecord[] = [];
      await tracing.send('orders', [original], async (records) => {
        sent = records;
      });
      const [span] = sdk.spans();
      expect(span.name).to.equal('send orders');
      expect(span.kind).to.equal(SpanKind.PRODUCER);
      expect(span.attributes).to.deep.equal({
        'messaging.system': 'kafka',
        'messaging.operation.name': 'send',
        'messaging.operation.type': 'send',
        'messaging.destination.name': 'orders',
        'messaging.client.id': 'svc',
      });
      const { traceId, spanId } = span.spanContext();
      expect(sent[0].headers).to.deep.equal({ app: 'x', traceparent: `00-${traceId}-${spanId}-01` });
      expect(original.headers).to.deep.equal({ app: 'x' });
    });

    it('is a child of the given parent, and counts the records of a batch', async () => {
      const parent = tracing.startProcess(consumed({ traceparent: VALID }));
      await tracing.send('audit', [{ value: 'a' }, { value: 'b' }], async () => undefined, {
        parent: parent.context,
      });
      parent.end();
      const [send, process] = sdk.spans();
      expect(parentSpanIdOf(send)).to.equal(process.spanContext().spanId);
      expect(send.attributes['messaging.batch.message_count']).to.equal(2);
    });

    it('keeps a traceparent the record already carries, unless told to replace it', async () => {
      const carried: OutgoingRecord = { value: 'v', headers: { traceparent: VALID } };
      const seen: Array<OutgoingRecord[]> = [];
      await tracing.send('t', [carried], async (records) => void seen.push(records));
      await tracing.send('t.dlt', [carried], async (records) => void seen.push(records), {
        replaceContext: true,
      });
      expect(seen[0][0].headers?.traceparent).to.equal(VALID);
      expect(seen[1][0].headers?.traceparent).not.to.equal(VALID);
    });

    it('ends the span failed when the send fails, and passes the failure on', async () => {
      const failure = Object.assign(new Error('no'), { code: 'RXK_SEND_FAILED' });
      const error = await tracing.send('t', [{ value: 'v' }], () => Promise.reject(failure)).catch((e) => e);
      expect(error).to.equal(failure);
      expect(sdk.spans()[0].attributes['error.type']).to.equal('RXK_SEND_FAILED');
    });
  });

  describe('.with()', () => {
    it('makes the process span the active one, as a handler sees it', () => {
      const process = tracing.startProcess(consumed());
      const active = tracing.with(process.context as Context, () => trace.getActiveSpan());
      process.end();
      expect(active?.spanContext().spanId).to.equal(sdk.spans()[0].spanContext().spanId);
    });
  });
});
