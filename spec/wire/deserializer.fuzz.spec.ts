/**
 * Property-based: random parsed records through rxkafka's request and response deserializers and NestJS's
 * own (@nestjs/microservices 11). See spec/support/fuzz.ts for the seed.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { KafkaParser as NestKafkaParser } from '@nestjs/microservices';
import {
  KafkaRequestDeserializer as NestKafkaRequestDeserializer,
  KafkaResponseDeserializer as NestKafkaResponseDeserializer,
} from '@nestjs/microservices/deserializers';
import { KafkaRequestDeserializer, KafkaResponseDeserializer } from '../../lib/wire/deserializer';
import { KafkaHeaders } from '../../lib/wire/kafka-headers';
import { KafkaParser, type IncomingMessage } from '../../lib/wire/parser';
import { fuzzParameters } from '../support/fuzz';
import { headerSet, headerValue, rawRecord } from '../support/wire-arbitraries';

/** Reply headers: a correlation id, and an error and an is-disposed header or not, among random ones. */
const replyHeaders = fc
  .record(
    { id: headerValue, err: headerValue, disposed: headerValue, extra: headerSet() },
    { requiredKeys: ['extra'] },
  )
  .map(({ id, err, disposed, extra }) => {
    const headers = { ...extra };
    if (id !== undefined) headers[KafkaHeaders.CORRELATION_ID] = id;
    if (err !== undefined) headers[KafkaHeaders.NEST_ERR] = err;
    if (disposed !== undefined) headers[KafkaHeaders.NEST_IS_DISPOSED] = disposed;
    return headers;
  });

describe('KafkaRequestDeserializer (fuzz)', () => {
  it('gives the same pattern and data as NestJS for every record with a value', () => {
    const ours = new KafkaRequestDeserializer();
    const nest = new NestKafkaRequestDeserializer();
    const parser = new KafkaParser();
    fc.assert(
      fc.property(rawRecord(), (record) => {
        const message = parser.parse(record);
        const options = { channel: record.topic };
        const packet = ours.deserialize(message, options);
        // A null value (a tombstone) is a deliberate difference: NestJS hands over the whole record.
        if (message.value === null) expect(packet).to.deep.equal({ pattern: record.topic, data: null });
        else expect(packet).to.deep.equal(nest.deserialize(message, options));
      }),
      fuzzParameters(1_000),
    );
  });
});

describe('KafkaResponseDeserializer (fuzz)', () => {
  it('gives the same reply packet as NestJS for every reply with a correlation id, and none without', () => {
    const ours = new KafkaResponseDeserializer();
    const nest = new NestKafkaResponseDeserializer();
    const parser = new NestKafkaParser();
    fc.assert(
      fc.property(rawRecord({ headers: replyHeaders }), (record) => {
        const message = parser.parse({ ...record }) as IncomingMessage;
        const packet = ours.deserialize(message);
        if (message.headers[KafkaHeaders.CORRELATION_ID] === undefined) {
          expect(packet).to.equal(undefined);
          return;
        }
        let expected: unknown;
        try {
          expected = nest.deserialize(message);
        } catch {
          // A deliberate difference: NestJS throws on an id it cannot call toString() on (JSON such as
          // {"toString":[]}); rxkafka's id then matches no request, and the reply is dropped.
          expect(packet).to.equal(undefined);
          return;
        }
        expect(packet).to.deep.equal(expected);
      }),
      fuzzParameters(1_500),
    );
  });
});
