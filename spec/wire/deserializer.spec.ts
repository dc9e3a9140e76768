import { expect } from 'chai';
import { KafkaRequestDeserializer, KafkaResponseDeserializer } from '../../lib/wire/deserializer';
import type { IncomingMessage } from '../../lib/wire/parser';

function createMessage(fields: Partial<IncomingMessage>): IncomingMessage {
  return {
    topic: 'math.sum.reply',
    partition: 0,
    offset: '3',
    timestamp: '1700000000000',
    attributes: 0,
    key: null,
    value: null,
    headers: {},
    ...fields,
  };
}

describe('KafkaRequestDeserializer', () => {
  const deserializer = new KafkaRequestDeserializer();

  describe('.deserialize()', () => {
    it('routes by the channel and hands over the value', () => {
      const message = createMessage({ topic: 'math.sum', value: { a: 1, b: 2 } });
      expect(deserializer.deserialize(message, { channel: 'math.sum' })).to.deep.equal({
        pattern: 'math.sum',
        data: { a: 1, b: 2 },
      });
    });

    it('hands over falsy values that are not nil (0 as text, "", false)', () => {
      expect(deserializer.deserialize(createMessage({ value: '' }), { channel: 't' }).data).to.equal('');
      expect(deserializer.deserialize(createMessage({ value: 0 }), { channel: 't' }).data).to.equal(0);
      expect(deserializer.deserialize(createMessage({ value: false }), { channel: 't' }).data).to.equal(
        false,
      );
    });

    it('hands over a binary value as the Buffer', () => {
      const bytes = Buffer.from([0, 1, 2]);
      expect(deserializer.deserialize(createMessage({ value: bytes }), { channel: 't' }).data).to.equal(
        bytes,
      );
    });

    context('with a tombstone (null value)', () => {
      it('hands over null as data (a deliberate difference: Nest hands over the whole message)', () => {
        const message = createMessage({ topic: 'users', key: 'user-1', value: null });
        const packet = deserializer.deserialize(message, { channel: 'users' });
        expect(packet).to.deep.equal({ pattern: 'users', data: null });
      });
    });

    context('without options (a deliberate difference: Nest gives an undefined pattern and data)', () => {
      it("falls back to the message's topic as the pattern", () => {
        const message = createMessage({ topic: 'orders.created', value: 'x' });
        expect(deserializer.deserialize(message)).to.deep.equal({ pattern: 'orders.created', data: 'x' });
      });
    });
  });
});

describe('KafkaResponseDeserializer', () => {
  const deserializer = new KafkaResponseDeserializer();

  describe('.deserialize()', () => {
    it('returns a value that is not the last one', () => {
      const message = createMessage({ value: '1', headers: { kafka_correlationId: 'id-1' } });
      expect(deserializer.deserialize(message)).to.deep.equal({
        id: 'id-1',
        response: '1',
        isDisposed: false,
      });
    });

    it('returns the last value when kafka_nest-is-disposed is present', () => {
      const message = createMessage({
        value: { sum: 3 },
        headers: { kafka_correlationId: 'id-1', 'kafka_nest-is-disposed': Buffer.alloc(1) },
      });
      expect(deserializer.deserialize(message)).to.deep.equal({
        id: 'id-1',
        response: { sum: 3 },
        isDisposed: true,
      });
    });

    it('returns a null response for a final message without value (the trailing null Nest emits)', () => {
      const message = createMessage({
        value: null,
        headers: { kafka_correlationId: 'id-1', 'kafka_nest-is-disposed': Buffer.alloc(1) },
      });
      expect(deserializer.deserialize(message)).to.deep.equal({
        id: 'id-1',
        response: null,
        isDisposed: true,
      });
    });

    it('counts any is-disposed header value as present, even an empty string', () => {
      const message = createMessage({
        headers: { kafka_correlationId: 'id-1', 'kafka_nest-is-disposed': '' },
      });
      expect(deserializer.deserialize(message)?.isDisposed).to.equal(true);
    });

    it('returns the decoded error object and ends the stream when kafka_nest-err is present', () => {
      const message = createMessage({
        value: null,
        headers: {
          kafka_correlationId: 'id-1',
          'kafka_nest-err': { status: 'error', message: 'bad input' },
          'kafka_nest-is-disposed': Buffer.alloc(1),
        },
      });
      expect(deserializer.deserialize(message)).to.deep.equal({
        id: 'id-1',
        err: { status: 'error', message: 'bad input' },
        isDisposed: true,
      });
    });

    it('returns a plain-text error even without the is-disposed header (no matching handler)', () => {
      const message = createMessage({ headers: { kafka_correlationId: 'id-1', 'kafka_nest-err': 'nope' } });
      expect(deserializer.deserialize(message)).to.deep.equal({ id: 'id-1', err: 'nope', isDisposed: true });
    });

    it('prefers the error over a value in the same message', () => {
      const message = createMessage({
        value: 'ignored',
        headers: { kafka_correlationId: 'id-1', 'kafka_nest-err': 'e' },
      });
      expect(deserializer.deserialize(message)).to.not.have.property('response');
    });

    it('reads a correlation id left as a Buffer', () => {
      const message = createMessage({ headers: { kafka_correlationId: Buffer.from('abc') } });
      expect(deserializer.deserialize(message)?.id).to.equal('abc');
    });

    it("turns a correlation id the parser decoded as JSON into Nest's text form", () => {
      const message = createMessage({ headers: { kafka_correlationId: [1, 2] } });
      expect(deserializer.deserialize(message)?.id).to.equal('1,2');
    });

    context('without a usable correlation id', () => {
      it('returns undefined when the header is missing', () => {
        expect(deserializer.deserialize(createMessage({ value: 'x' }))).to.equal(undefined);
      });

      it('returns undefined when the header is null', () => {
        expect(deserializer.deserialize(createMessage({ headers: { kafka_correlationId: null } }))).to.equal(
          undefined,
        );
      });

      it('returns undefined when the header cannot become text', () => {
        const id = Object.create(null) as object;
        expect(deserializer.deserialize(createMessage({ headers: { kafka_correlationId: id } }))).to.equal(
          undefined,
        );
      });
    });
  });
});
