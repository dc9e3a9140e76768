import { expect } from 'chai';
import * as api from '@opentelemetry/api';
import type { OutgoingRecord } from '../../lib';
import { createKafkaTracing, type KafkaTracing } from '../../lib/tracing/kafka-tracing';
import { ProcessSpanHandle, SendSpanHandle, type RecordInjector } from '../../lib/tracing/span-handles';
import { registerInMemoryTracing, type InMemoryTracing } from '../support/in-memory-tracing';
import { RecordingLogger } from '../support/recording-logger';

describe('span handles', () => {
  let sdk: InMemoryTracing;
  let tracing: KafkaTracing;

  beforeEach(() => {
    sdk = registerInMemoryTracing();
    tracing = createKafkaTracing({ clientId: 'svc' }, new RecordingLogger()) as KafkaTracing;
  });

  afterEach(() => sdk.unregister());

  function startSpan(): { span: api.Span; context: api.Context } {
    const span = api.trace.getTracer('spec').startSpan('s');
    return { span, context: api.trace.setSpan(api.ROOT_CONTEXT, span) };
  }

  describe('ProcessSpanHandle', () => {
    it('ends its span once: a later end with an error changes nothing', () => {
      const { span, context } = startSpan();
      const handle = new ProcessSpanHandle(api, span, context);
      handle.end();
      handle.end(new Error('late'));
      expect(sdk.spans()).to.have.length(1);
      expect(sdk.spans()[0].status.code).to.equal(api.SpanStatusCode.UNSET);
    });

    it('ends its span failed when ended with an error', () => {
      const { span, context } = startSpan();
      new ProcessSpanHandle(api, span, context).end(new TypeError('bad'));
      expect(sdk.spans()[0].attributes['error.type']).to.equal('TypeError');
      expect(sdk.spans()[0].status).to.deep.equal({ code: api.SpanStatusCode.ERROR, message: 'bad' });
    });

    it('records an error with the type given, and the span still ends once', () => {
      const { span, context } = startSpan();
      const handle = new ProcessSpanHandle(api, span, context);
      handle.recordError(new Error('no'), 'RXK_HANDLER_TIMEOUT');
      handle.end();
      handle.end();
      expect(sdk.spans()).to.have.length(1);
      expect(sdk.spans()[0].attributes['error.type']).to.equal('RXK_HANDLER_TIMEOUT');
      expect(handle.context).to.equal(context);
    });
  });

  describe('SendSpanHandle', () => {
    it('ends its span once', () => {
      const { span, context } = startSpan();
      const handle = new SendSpanHandle(api, span, context, tracing, false);
      handle.end(new Error('first'));
      handle.end();
      expect(sdk.spans()).to.have.length(1);
      expect(sdk.spans()[0].status.message).to.equal('first');
    });

    it('answers its span’s trace id, and none for a span that is not valid', () => {
      const { span, context } = startSpan();
      expect(new SendSpanHandle(api, span, context, tracing, false).traceId).to.equal(
        span.spanContext().traceId,
      );
      const invalid = api.trace.wrapSpanContext(api.INVALID_SPAN_CONTEXT);
      expect(new SendSpanHandle(api, invalid, context, tracing, false).traceId).to.equal(undefined);
      span.end();
    });

    it('injects its context into each record, in order, with its replace option', () => {
      const { span, context } = startSpan();
      const calls: Array<[api.Context, OutgoingRecord, boolean]> = [];
      const injector: RecordInjector = {
        inject: <R extends OutgoingRecord>(given: api.Context, record: R, replace: boolean): R => {
          calls.push([given, record, replace]);
          return { ...record, value: `${String(record.value)}'` };
        },
      };
      const records: OutgoingRecord[] = [{ value: 'a' }, { value: 'b' }];
      const injected = new SendSpanHandle(api, span, context, injector, true).inject(records);
      expect(injected.map((record) => record.value)).to.deep.equal(["a'", "b'"]);
      expect(calls).to.deep.equal([
        [context, records[0], true],
        [context, records[1], true],
      ]);
      span.end();
    });
  });

  describe('KafkaTracing.send()', () => {
    it('keeps a header named __proto__ as a plain header of the record it sends', async () => {
      const headers = JSON.parse('{"__proto__": "x", "app": "y"}') as OutgoingRecord['headers'];
      let sent: OutgoingRecord[] = [];
      await tracing.send('t', [{ value: 'v', headers }], async (records) => {
        sent = records;
      });
      const copy = sent[0].headers as Record<string, unknown>;
      expect(Object.getPrototypeOf(copy)).to.equal(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).to.equal('x');
      expect(copy.app).to.equal('y');
      expect(copy.traceparent).to.be.a('string');
    });
  });
});
