/**
 * Property-based: random application values through rxkafka's KafkaRequestSerializer and NestJS's own
 * (@nestjs/microservices 11), and the serializer's output back through both parsers. See
 * spec/support/fuzz.ts for the seed.
 */
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'chai';
import fc from 'fast-check';
import { KafkaParser as NestKafkaParser } from '@nestjs/microservices';
import { KafkaRequestSerializer as NestKafkaRequestSerializer } from '@nestjs/microservices/serializers';
import type { OutgoingMessage } from '../../lib/wire/outgoing-message';
import { KafkaParser, type RawKafkaRecord } from '../../lib/wire/parser';
import { KafkaRequestSerializer } from '../../lib/wire/serializer';
import { fuzzParameters } from '../support/fuzz';
import { pickKafkajsFields } from '../support/nest-wire';
import { applicationValue, envelope, wireBytes, wireText } from '../support/wire-arbitraries';

const serializable = fc.oneof(applicationValue, envelope);

type Outcome = { message: object } | { threw: true };

function serializeWith(serialize: () => object): Outcome {
  try {
    const message = serialize();
    return { message: pickKafkajsFields(message) };
  } catch {
    return { threw: true };
  }
}

function recordOf(message: OutgoingMessage): RawKafkaRecord {
  const asBytes = (value: string | Buffer | null | undefined) =>
    typeof value === 'string' ? Buffer.from(value, 'utf8') : (value ?? null);
  return {
    topic: 't',
    partition: 0,
    offset: '0',
    timestamp: '0',
    attributes: 0,
    key: asBytes(message.key),
    value: asBytes(message.value),
    headers: {},
  };
}

describe('KafkaRequestSerializer (fuzz)', () => {
  const ours = new KafkaRequestSerializer();
  const nest = new NestKafkaRequestSerializer();

  it('gives the same kafkajs fields as NestJS for random values and envelopes, or throws where NestJS throws', () => {
    // Two equal copies of each value: NestJS's serializer writes into an envelope it is given.
    fc.assert(
      fc.property(fc.clone(serializable, 2), ([forUs, forNest]) => {
        expect(serializeWith(() => ours.serialize(forUs))).to.deep.equal(
          serializeWith(() => nest.serialize(forNest) as object),
        );
      }),
      fuzzParameters(1_500),
    );
  });

  it("never changes the caller's value", () => {
    fc.assert(
      fc.property(fc.clone(serializable, 2), ([value, pristine]) => {
        serializeWith(() => ours.serialize(value));
        // Node's comparison: chai's cannot sort a Set holding null-prototype objects.
        expect(isDeepStrictEqual(value, pristine)).to.equal(true);
      }),
      fuzzParameters(1_000),
    );
  });

  context('then parsed (the round trip a caller and a handler see)', () => {
    const parsers = [new KafkaParser(), new NestKafkaParser()];

    it('gives JSON objects and arrays back as equal values, through either parser', () => {
      const jsonContainer = fc.oneof(
        fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
        fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
      );
      fc.assert(
        fc.property(jsonContainer, (value) => {
          const record = recordOf(ours.serialize(value));
          for (const parser of parsers) {
            expect(parser.parse({ ...record }).value).to.deep.equal(JSON.parse(JSON.stringify(value)));
          }
        }),
        fuzzParameters(1_000),
      );
    });

    it('gives text back unchanged unless it starts with {, [ or 0x00, and 0x00-led bytes back byte for byte', () => {
      const payload = fc.oneof(
        wireText.filter((text) => !/^[\0{[]/.test(text)),
        wireBytes.map((bytes) => Buffer.concat([Buffer.alloc(1), bytes])),
      );
      fc.assert(
        fc.property(payload, (value) => {
          const record = recordOf(ours.serialize(value));
          // Text travels as UTF-8: a lone surrogate comes back as U+FFFD, as it does through NestJS.
          const expected = typeof value === 'string' ? Buffer.from(value, 'utf8').toString('utf8') : value;
          for (const parser of parsers) expect(parser.parse({ ...record }).value).to.deep.equal(expected);
        }),
        fuzzParameters(1_000),
      );
    });
  });
});
