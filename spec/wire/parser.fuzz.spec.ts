/**
 * Property-based: random records through rxkafka's KafkaParser and NestJS's own (@nestjs/microservices 11),
 * compared with deep equality (Buffers byte for byte). See spec/support/fuzz.ts for the seed.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { KafkaParser as NestKafkaParser } from '@nestjs/microservices';
import { KafkaParser, type RawKafkaRecord } from '../../lib/wire/parser';
import { fuzzParameters } from '../support/fuzz';
import { headerSet, rawRecord, wireBytes, wireText } from '../support/wire-arbitraries';

describe('KafkaParser (fuzz)', () => {
  for (const keepBinary of [false, true]) {
    it(`parses random records exactly as NestJS does (keepBinary: ${keepBinary})`, () => {
      const ours = new KafkaParser({ keepBinary });
      const nest = new NestKafkaParser({ keepBinary });
      fc.assert(
        fc.property(rawRecord(), (record) => {
          expect(ours.parse(record)).to.deep.equal(nest.parse({ ...record }));
        }),
        fuzzParameters(1_200),
      );
    });
  }

  it('never throws, never changes the record, and never gives a header object another prototype', () => {
    const parser = new KafkaParser();
    const records = rawRecord({ headers: fc.option(headerSet(true), { nil: undefined }) });
    fc.assert(
      fc.property(records, (record) => {
        const before = structuredClone(record);
        const parsed = parser.parse(record);
        expect(Object.getPrototypeOf(parsed.headers)).to.equal(Object.prototype);
        expect(record).to.deep.equal(restoreBuffers(before));
      }),
      fuzzParameters(1_000),
    );
  });

  it('gives back any value that does not start with 0x00, { or [ as its UTF-8 text', () => {
    const parser = new KafkaParser();
    const plain = fc.oneof(
      wireText,
      wireBytes.map((bytes) => bytes.toString('utf8')),
    );
    fc.assert(
      fc.property(plain, (text) => {
        fc.pre(!/^[\0{[]/.test(text));
        const bytes = Buffer.from(text, 'utf8');
        expect(parser.parse(recordOf(bytes)).value).to.equal(bytes.toString('utf8'));
      }),
      fuzzParameters(1_000),
    );
  });
});

function recordOf(value: Buffer): RawKafkaRecord {
  return {
    topic: 't',
    partition: 0,
    offset: '0',
    timestamp: '0',
    attributes: 0,
    key: null,
    value,
    headers: {},
  };
}

// structuredClone turns Buffers into Uint8Arrays: back to Buffers for a byte-for-byte comparison.
function restoreBuffers<T>(value: T): T {
  if (value instanceof Uint8Array) return Buffer.from(value) as T;
  if (Array.isArray(value)) return value.map(restoreBuffers) as T;
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      Object.defineProperty(copy, key, {
        value: restoreBuffers((value as Record<string, unknown>)[key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy as T;
  }
  return value;
}
