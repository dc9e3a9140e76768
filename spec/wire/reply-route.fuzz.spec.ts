/**
 * Property-based: random header sets through readReplyRoute() and describeBrokenRoute(), against NestJS's
 * own rule (`ServerKafka.handleMessage`: a request needs a correlation id and a reply topic, read through
 * its KafkaParser). See spec/support/fuzz.ts for the seed.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { KafkaParser as NestKafkaParser } from '@nestjs/microservices';
import type { RecordHeaders } from '../../lib/kafka/kafka-record';
import { KafkaHeaders } from '../../lib/wire/kafka-headers';
import type { RawKafkaRecord } from '../../lib/wire/parser';
import { describeBrokenRoute, readReplyRoute } from '../../lib/wire/reply-route';
import { fuzzParameters } from '../support/fuzz';
import { requestHeaders } from '../support/wire-arbitraries';

const nestParser = new NestKafkaParser();

/** What NestJS's server reads from the same headers: its parser's decoding of the three. */
function readWithNest(headers: RecordHeaders): { isRequest: boolean; replyPartition: unknown } {
  const record = {
    topic: 't',
    partition: 0,
    offset: '0',
    timestamp: '0',
    attributes: 0,
    key: null,
    value: null,
  };
  const parsed = nestParser.parse({ ...record, headers } as RawKafkaRecord) as {
    headers: Record<string, unknown>;
  };
  const isRequest =
    Boolean(parsed.headers[KafkaHeaders.CORRELATION_ID]) && Boolean(parsed.headers[KafkaHeaders.REPLY_TOPIC]);
  return { isRequest, replyPartition: parsed.headers[KafkaHeaders.REPLY_PARTITION] };
}

function firstValue(value: RecordHeaders[string]): Buffer | string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function textOf(value: RecordHeaders[string]): string | undefined {
  const first = firstValue(value);
  return first === undefined ? undefined : Buffer.isBuffer(first) ? first.toString('utf8') : first;
}

/** A header NestJS reads as its elements joined (`"a,b"`), where rxkafka takes the first element. */
function isRepeated(value: RecordHeaders[string]): boolean {
  return Array.isArray(value) && value.length > 1;
}

describe('readReplyRoute() (fuzz)', () => {
  it('sees a request exactly where NestJS does (single-valued headers)', () => {
    fc.assert(
      fc.property(requestHeaders, (headers) => {
        fc.pre(
          !isRepeated(headers[KafkaHeaders.CORRELATION_ID]) && !isRepeated(headers[KafkaHeaders.REPLY_TOPIC]),
        );
        expect(readReplyRoute(headers) !== undefined).to.equal(readWithNest(headers).isRequest);
      }),
      fuzzParameters(1_500),
    );
  });

  it('keeps the correlation id and reply topic as their raw text, whatever they look like', () => {
    fc.assert(
      fc.property(requestHeaders, (headers) => {
        const route = readReplyRoute(headers);
        if (!route) return;
        expect(route.correlationId).to.equal(textOf(headers[KafkaHeaders.CORRELATION_ID]));
        expect(route.replyTopic).to.equal(textOf(headers[KafkaHeaders.REPLY_TOPIC]));
      }),
      fuzzParameters(1_000),
    );
  });

  it('reads a reply partition only from a plain decimal int32, and then the number NestJS reads', () => {
    fc.assert(
      fc.property(requestHeaders, (headers) => {
        const route = readReplyRoute(headers);
        if (!route) return;
        const text = textOf(headers[KafkaHeaders.REPLY_PARTITION]);
        const isInt32 = text !== undefined && /^[0-9]{1,10}$/.test(text) && Number(text) <= 2 ** 31 - 1;
        if (!isInt32) {
          expect(route.replyPartition).to.equal(undefined);
          return;
        }
        expect(route.replyPartition).to.equal(Number(text));
        if (!isRepeated(headers[KafkaHeaders.REPLY_PARTITION])) {
          // NestJS sends to parseFloat of what its parser decoded.
          expect(route.replyPartition).to.equal(parseFloat(String(readWithNest(headers).replyPartition)));
        }
      }),
      fuzzParameters(1_000),
    );
  });
});

describe('describeBrokenRoute() (fuzz)', () => {
  it('explains exactly the records that carry half a request or an unusable reply partition', () => {
    fc.assert(
      fc.property(requestHeaders, (headers) => {
        const route = readReplyRoute(headers);
        const hasId = Boolean(textOf(headers[KafkaHeaders.CORRELATION_ID]));
        const hasTopic = Boolean(textOf(headers[KafkaHeaders.REPLY_TOPIC]));
        const partition = textOf(headers[KafkaHeaders.REPLY_PARTITION]);
        const broken = route
          ? partition !== undefined && route.replyPartition === undefined
          : hasId !== hasTopic;
        const description = describeBrokenRoute(headers, route);
        expect(description !== undefined, String(description)).to.equal(broken);
      }),
      fuzzParameters(1_000),
    );
  });
});
