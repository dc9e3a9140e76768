import { expect } from 'chai';
import { KafkaRetriableException } from '../../lib/handlers/rpc-exception';
import type { OutgoingMessage } from '../../lib/wire/outgoing-message';
import { encodeReply, parseReplyPartition } from '../../lib/wire/reply-encoder';

const ID = '58710577e12cd007e9c53';
const DISPOSED = Buffer.from([0]);

describe('encodeReply() (one record per packet)', () => {
  it('encodes a final value: value + correlation id + is-disposed', () => {
    expect(
      encodeReply({ value: '{"sum":3}', headers: {} }, { correlationId: ID, isDisposed: true }),
    ).to.deep.equal({
      value: '{"sum":3}',
      headers: { kafka_correlationId: Buffer.from(ID), 'kafka_nest-is-disposed': DISPOSED },
    });
  });

  it('encodes a value that is not the last one with the correlation id only', () => {
    expect(encodeReply({ value: '1', headers: {} }, { correlationId: ID, isDisposed: false })).to.deep.equal({
      value: '1',
      headers: { kafka_correlationId: Buffer.from(ID) },
    });
  });

  it('encodes a void reply (no serialized record) as value null + correlation id + is-disposed', () => {
    expect(encodeReply(undefined, { correlationId: ID, isDisposed: true })).to.deep.equal({
      value: null,
      headers: { kafka_correlationId: Buffer.from(ID), 'kafka_nest-is-disposed': DISPOSED },
    });
  });

  it('encodes an error: value null + correlation id + kafka_nest-err (JSON) + is-disposed', () => {
    const reply = encodeReply(undefined, {
      correlationId: ID,
      err: { status: 'error', message: 'bad input' },
      isDisposed: true,
    });
    expect(reply).to.deep.equal({
      value: null,
      headers: {
        kafka_correlationId: Buffer.from(ID),
        'kafka_nest-err': Buffer.from('{"status":"error","message":"bad input"}'),
        'kafka_nest-is-disposed': DISPOSED,
      },
    });
  });

  it('encodes a no-handler error as plain text without is-disposed, as Nest does', () => {
    const message = 'There is no matching message handler defined in the remote service.';
    expect(
      encodeReply(undefined, { correlationId: ID, err: message, isDisposed: false }).headers,
    ).to.deep.equal({
      kafka_correlationId: Buffer.from(ID),
      'kafka_nest-err': Buffer.from(message),
    });
  });

  it('drops a serialized value when the reply is an error', () => {
    expect(
      encodeReply({ value: 'partial', headers: {} }, { correlationId: ID, err: 'e', isDisposed: true }).value,
    ).to.equal(null);
  });

  it('encodes a number or boolean error as text instead of crashing (nestjs/nest#9024)', () => {
    expect(
      encodeReply(undefined, { correlationId: ID, err: 500, isDisposed: true }).headers['kafka_nest-err'],
    ).to.deep.equal(Buffer.from('500'));
  });

  it('encodes a KafkaRetriableException payload as its JSON, as Nest would', () => {
    const err = new KafkaRetriableException('later');
    expect(
      encodeReply(undefined, { correlationId: ID, err, isDisposed: true }).headers[
        'kafka_nest-err'
      ]?.toString(),
    ).to.equal('{"error":"later","message":"later"}');
  });

  it('keeps the key and the handler headers of an envelope reply, Nest headers last', () => {
    const reply = encodeReply(
      { key: 'k1', value: '{"r":1}', headers: { h1: 'v' } },
      { correlationId: ID, isDisposed: true },
    );
    expect(reply.key).to.equal('k1');
    expect(Object.keys(reply.headers)).to.deep.equal(['h1', 'kafka_correlationId', 'kafka_nest-is-disposed']);
  });

  it('writes the correlation id as a UTF-8 Buffer', () => {
    const header = encodeReply(undefined, { correlationId: 'ü-1', isDisposed: false }).headers
      .kafka_correlationId;
    expect(header).to.deep.equal(Buffer.from('ü-1', 'utf8'));
  });

  context('reply partition', () => {
    for (const partition of [0, 1, 7, 2 ** 31 - 1]) {
      it(`sets partition ${partition}`, () => {
        expect(
          encodeReply(undefined, { correlationId: ID, replyPartition: partition, isDisposed: true })
            .partition,
        ).to.equal(partition);
      });
    }

    for (const partition of [undefined, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      it(`sets no partition for ${String(partition)}, so kafkajs's partitioner picks one`, () => {
        const reply = encodeReply(
          { value: null, headers: {} },
          { correlationId: ID, replyPartition: partition, isDisposed: true },
        );
        expect(reply).to.not.have.property('partition');
      });
    }

    it("keeps an envelope's own partition when there is no reply partition", () => {
      expect(
        encodeReply({ value: null, headers: {}, partition: 4 }, { correlationId: ID, isDisposed: true })
          .partition,
      ).to.equal(4);
    });

    it("overrides an envelope's partition with the reply partition, as Nest does", () => {
      const reply = encodeReply(
        { value: null, headers: {}, partition: 4 },
        { correlationId: ID, replyPartition: 1, isDisposed: true },
      );
      expect(reply.partition).to.equal(1);
    });
  });

  it('returns a new record and leaves the serialized one as it was', () => {
    const headers = { h1: 'v' };
    const serialized: OutgoingMessage = { value: 'x', headers };
    const reply = encodeReply(serialized, {
      correlationId: ID,
      replyPartition: 3,
      err: 'e',
      isDisposed: true,
    });
    expect(reply).to.not.equal(serialized);
    expect(reply.headers).to.not.equal(headers);
    expect(serialized).to.deep.equal({ value: 'x', headers: { h1: 'v' } });
  });
});

describe('parseReplyPartition()', () => {
  const valid: Array<[unknown, number]> = [
    ['0', 0],
    ['2', 2],
    ['10', 10],
    ['007', 7],
    ['2147483647', 2147483647],
    [Buffer.from('3'), 3],
  ];
  for (const [header, partition] of valid) {
    it(`reads ${JSON.stringify(String(header))} (${typeof header === 'string' ? 'string' : 'Buffer'}) as ${partition}`, () => {
      expect(parseReplyPartition(header)).to.equal(partition);
    });
  }

  const invalid: Array<[string, unknown]> = [
    ['"abc"', 'abc'],
    ['"-1"', '-1'],
    ['"1.5"', '1.5'],
    ['""', ''],
    ['" 1" (whitespace)', ' 1'],
    ['"1 " (trailing whitespace)', '1 '],
    ['"+1"', '+1'],
    ['"1e2"', '1e2'],
    ['"0x1"', '0x1'],
    ['"2147483648" (beyond int32)', '2147483648'],
    ['"99999999999" (11 digits)', '99999999999'],
    ['"１" (a full-width digit)', '１'],
    ['an empty Buffer', Buffer.alloc(0)],
    ['a 0x00 Buffer', Buffer.alloc(1)],
    ['a number', 1],
    ['null', null],
    ['undefined', undefined],
    ['an object (JSON the parser decoded)', { p: 1 }],
    ['an array', ['1']],
  ];
  for (const [name, header] of invalid) {
    it(`returns undefined for ${name}`, () => {
      expect(parseReplyPartition(header)).to.equal(undefined);
    });
  }
});
