/**
 * Differential tests: the same inputs through the real @nestjs/microservices 11 classes and through
 * lib/wire, compared with deep equality (Buffers byte for byte). Where rxkafka differs on purpose, the
 * difference is named and asserted in a "deliberate differences" block.
 */
import { expect } from 'chai';
import { BadRequestException } from '@nestjs/common';
import {
  BaseRpcExceptionFilter,
  ClientKafka,
  KafkaParser as NestKafkaParser,
  KafkaRetriableException as NestKafkaRetriableException,
  RpcException as NestRpcException,
  ServerKafka,
} from '@nestjs/microservices';
// The package root does not re-export its serializers and deserializers.
import {
  KafkaRequestDeserializer as NestKafkaRequestDeserializer,
  KafkaResponseDeserializer as NestKafkaResponseDeserializer,
} from '@nestjs/microservices/deserializers';
import { KafkaRequestSerializer as NestKafkaRequestSerializer } from '@nestjs/microservices/serializers';
import type { IHeaders } from 'kafkajs';
import { KafkaRetriableException, RpcException } from '../../lib/handlers/rpc-exception';
import { KafkaRequestDeserializer, KafkaResponseDeserializer } from '../../lib/wire/deserializer';
import { toErrorPayload } from '../../lib/pipeline/error-payload';
import { encodeErrorHeader } from '../../lib/wire/error-header';
import type { OutgoingMessage } from '../../lib/wire/outgoing-message';
import { KafkaParser, type IncomingMessage, type RawKafkaRecord } from '../../lib/wire/parser';
import { encodeReply, parseReplyPartition } from '../../lib/wire/reply-encoder';
import { encodeRequest } from '../../lib/wire/request-encoder';
import { KafkaRequestSerializer } from '../../lib/wire/serializer';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

class Money {
  constructor(readonly cents: number) {}
  toString(): string {
    return `${this.cents / 100} EUR`;
  }
}

/** Each row builds a fresh input per call, because Nest's serializer mutates envelopes. */
type Row = [name: string, create: () => unknown];

const VALUES: Row[] = [
  ['the number 5', () => 5],
  ['the number 0', () => 0],
  ['a negative float', () => -1.5],
  ['NaN', () => Number.NaN],
  ['a BigInt', () => 10n],
  ['true', () => true],
  ['false', () => false],
  ['null', () => null],
  ['undefined', () => undefined],
  ['a string', () => 'hi'],
  ['the empty string', () => ''],
  ['a JSON-looking object string', () => '{"a":1}'],
  ['a JSON-looking array string', () => '[1,2]'],
  ['a non-ASCII string', () => 'héllo ✓'],
  ['a plain object', () => ({ a: 1 })],
  ['a nested object', () => ({ a: { b: [1, { c: null }] }, d: 'x' })],
  ['an array', () => [1, 'two', { three: 3 }]],
  ['an empty array', () => []],
  ['a class instance', () => new Point(1, 2)],
  ['a class with its own toString', () => new Money(250)],
  ['a Date', () => new Date(0)],
  ['an object without prototype', () => Object.assign(Object.create(null) as object, { n: 1 })],
  ['a Map', () => new Map([['a', 1]])],
  ['an Error', () => new TypeError('boom')],
  ['a Buffer', () => Buffer.from('text')],
  ['a 0x00-leading Buffer', () => Buffer.from([0, 0, 0, 0, 1, 2])],
  ['an empty Buffer', () => Buffer.alloc(0)],
  ['an envelope with key, value and headers', () => ({ key: 'k1', value: { r: 1 }, headers: { h1: 'v' } })],
  ['an envelope with a number key and an array value', () => ({ key: 42, value: [1] })],
  ['an envelope with a null key', () => ({ key: null, value: 'x' })],
  ['an envelope with an undefined value', () => ({ value: undefined })],
  ['an envelope with a nested class instance', () => ({ value: { point: new Point(3, 4) } })],
  [
    'an envelope with a binary value, Buffer header, partition and timestamp',
    () => ({ value: Buffer.from([0, 1]), headers: { b: Buffer.from('x') }, partition: 3, timestamp: '17' }),
  ],
];

/** Envelopes with fields kafkajs ignores: Nest returns them, rxkafka drops them (see the differences block). */
const ENVELOPES_WITH_EXTRA_FIELDS: Row[] = [
  ['{ time, value } (nestjs/nest#12886)', () => ({ time: 1, value: 12 })],
  ['{ key, name } (nestjs/nest#12886)', () => ({ key: 'k', name: 'x' })],
];

const KAFKAJS_MESSAGE_FIELDS = ['key', 'value', 'headers', 'partition', 'timestamp'];

function serializeWithNest(value: unknown): OutgoingMessage {
  return new NestKafkaRequestSerializer().serialize(value) as OutgoingMessage;
}

function pickKafkajsFields(message: object): object {
  return Object.fromEntries(
    Object.entries(message).filter(([field]) => KAFKAJS_MESSAGE_FIELDS.includes(field)),
  );
}

function createRecord(fields: Partial<RawKafkaRecord> & { headers?: IHeaders }): RawKafkaRecord {
  return {
    topic: 'math.sum',
    partition: 1,
    offset: '17',
    timestamp: '1700000000000',
    attributes: 0,
    key: null,
    value: null,
    headers: {},
    ...fields,
  } as RawKafkaRecord;
}

const RECORDS: Array<[string, () => RawKafkaRecord]> = [
  ['a number as text', () => createRecord({ value: Buffer.from('5') })],
  ['plain text', () => createRecord({ value: Buffer.from('hi') })],
  ['a JSON object', () => createRecord({ value: Buffer.from('{"a":1,"b":{"c":[1,2]}}') })],
  ['a JSON array', () => createRecord({ value: Buffer.from('[1,"x",null]') })],
  ['broken JSON', () => createRecord({ value: Buffer.from('{broken') })],
  ['a JSON-quoted string', () => createRecord({ value: Buffer.from('"quoted"') })],
  ['an empty value', () => createRecord({ value: Buffer.alloc(0) })],
  ['a 0x00-leading value', () => createRecord({ value: Buffer.from([0, 0, 0, 0, 5, 1]) })],
  ['a value with a later 0x00', () => createRecord({ value: Buffer.from([0x61, 0, 0x62]) })],
  ['a tombstone', () => createRecord({ key: Buffer.from('user-1'), value: null })],
  [
    'JSON with a __proto__ key',
    () => createRecord({ value: Buffer.from('{"__proto__":{"polluted":1},"a":2}') }),
  ],
  ['a JSON key', () => createRecord({ key: Buffer.from('{"id":7}'), value: Buffer.from('x') })],
  ['a binary key', () => createRecord({ key: Buffer.from([0, 9]), value: Buffer.from('x') })],
  ['a string value (not a Buffer)', () => createRecord({ value: '{"s":1}' as unknown as Buffer })],
  [
    'request headers',
    () =>
      createRecord({
        value: Buffer.from('{"a":1}'),
        headers: {
          kafka_correlationId: Buffer.from('58710577e12cd007e9c53'),
          kafka_replyTopic: Buffer.from('math.sum.reply'),
          kafka_replyPartition: Buffer.from('2'),
        },
      }),
  ],
  [
    'reply headers with an error',
    () =>
      createRecord({
        headers: {
          kafka_correlationId: Buffer.from('id-1'),
          'kafka_nest-err': Buffer.from('{"status":"error","message":"bad input"}'),
          'kafka_nest-is-disposed': Buffer.alloc(1),
        },
      }),
  ],
  [
    'repeated headers',
    () => createRecord({ value: Buffer.from('x'), headers: { trace: [Buffer.from('a'), Buffer.from('b')] } }),
  ],
  [
    'repeated JSON-looking headers',
    () => createRecord({ value: Buffer.from('x'), headers: { h: [Buffer.from('[1'), Buffer.from('2]')] } }),
  ],
  [
    'a header named __proto__',
    () => createRecord({ value: Buffer.from('x'), headers: JSON.parse('{"__proto__":"p"}') }),
  ],
  [
    'a message-set record (no headers, with size)',
    () =>
      ({
        ...createRecord({ value: Buffer.from('x') }),
        headers: undefined,
        size: 42,
      }) as unknown as RawKafkaRecord,
  ],
  [
    'a record with the extra kafkajs fields',
    () =>
      Object.assign(createRecord({ value: Buffer.from('[2]') }), {
        magicByte: 2,
        isControlRecord: false,
        batchContext: { firstOffset: '17' },
      }),
  ],
];

function replyRecord(headers: IHeaders, value: Buffer | null = null): RawKafkaRecord {
  return createRecord({ topic: 'math.sum.reply', value, headers });
}

const REPLIES: Array<[string, () => RawKafkaRecord]> = [
  [
    'a value that is not the last',
    () => replyRecord({ kafka_correlationId: Buffer.from('id-1') }, Buffer.from('1')),
  ],
  [
    'a final value',
    () =>
      replyRecord(
        { kafka_correlationId: Buffer.from('id-1'), 'kafka_nest-is-disposed': Buffer.alloc(1) },
        Buffer.from('{"sum":3}'),
      ),
  ],
  [
    'a final message without value',
    () =>
      replyRecord({ kafka_correlationId: Buffer.from('id-1'), 'kafka_nest-is-disposed': Buffer.alloc(1) }),
  ],
  [
    'an error object',
    () =>
      replyRecord({
        kafka_correlationId: Buffer.from('id-1'),
        'kafka_nest-err': Buffer.from('{"status":"error","message":"bad input"}'),
        'kafka_nest-is-disposed': Buffer.alloc(1),
      }),
  ],
  [
    'a plain-text error without is-disposed',
    () =>
      replyRecord({
        kafka_correlationId: Buffer.from('id-1'),
        'kafka_nest-err': Buffer.from('There is no matching message handler defined in the remote service.'),
      }),
  ],
  [
    'an error and a value',
    () => replyRecord({ kafka_correlationId: 'id-1', 'kafka_nest-err': 'e' }, Buffer.from('v')),
  ],
  ['a string correlation id', () => replyRecord({ kafka_correlationId: 'id-2' }, Buffer.from('[1,2]'))],
  [
    'a JSON-looking correlation id',
    () => replyRecord({ kafka_correlationId: Buffer.from('[1,2]') }, Buffer.from('x')),
  ],
  [
    'a 0x00-leading correlation id',
    () => replyRecord({ kafka_correlationId: Buffer.from([0, 0x61]) }, Buffer.from('x')),
  ],
  [
    'an empty is-disposed header',
    () => replyRecord({ kafka_correlationId: 'id-1', 'kafka_nest-is-disposed': '' }),
  ],
];

describe('NestJS parity (differential against @nestjs/microservices 11)', () => {
  describe('KafkaRequestSerializer', () => {
    const serializer = new KafkaRequestSerializer();

    for (const [name, create] of VALUES) {
      it(`serializes ${name} exactly as Nest does`, () => {
        expect(serializer.serialize(create())).to.deep.equal(serializeWithNest(create()));
      });
    }

    for (const [name, create] of ENVELOPES_WITH_EXTRA_FIELDS) {
      it(`serializes ${name} to the same kafkajs fields as Nest`, () => {
        expect(serializer.serialize(create())).to.deep.equal(pickKafkajsFields(serializeWithNest(create())));
      });
    }

    context('deliberate differences', () => {
      it("Nest mutates and returns the caller's envelope; rxkafka returns a new record and leaves it alone", () => {
        const nestInput = { key: 7, value: { a: 1 } };
        const nestOutput = serializeWithNest(nestInput);
        expect(nestOutput).to.equal(nestInput);
        expect(nestInput).to.deep.equal({ key: '7', value: '{"a":1}', headers: {} });

        const ourInput = { key: 7, value: { a: 1 } };
        const ourOutput = serializer.serialize(ourInput);
        expect(ourOutput).to.not.equal(ourInput);
        expect(ourInput).to.deep.equal({ key: 7, value: { a: 1 } });
        expect(ourOutput).to.deep.equal(nestOutput);
      });

      it('Nest shares the caller’s headers object; rxkafka copies it', () => {
        const headers = { h: 'v' };
        expect(serializeWithNest({ value: 1, headers }).headers).to.equal(headers);
        expect(serializer.serialize({ value: 1, headers }).headers).to.not.equal(headers);
      });

      it('Nest keeps fields kafkajs ignores; rxkafka sends only key, value, headers, partition, timestamp', () => {
        expect(serializeWithNest({ time: 1, value: 12 })).to.have.property('time', 1);
        expect(serializer.serialize({ time: 1, value: 12 })).to.not.have.property('time');
      });
    });
  });

  describe('KafkaParser', () => {
    for (const keepBinary of [false, true]) {
      context(`with keepBinary: ${keepBinary}`, () => {
        const ours = new KafkaParser({ keepBinary });
        const nest = new NestKafkaParser({ keepBinary });
        for (const [name, create] of RECORDS) {
          it(`parses ${name} exactly as Nest does`, () => {
            expect(ours.parse(create())).to.deep.equal(nest.parse(create()));
          });
        }
      });
    }

    it('leaves the input record as Nest does (both clone since nestjs/nest#9996)', () => {
      const forUs = RECORDS[2][1]();
      const forNest = RECORDS[2][1]();
      new KafkaParser().parse(forUs);
      new NestKafkaParser().parse(forNest);
      expect(forUs).to.deep.equal(forNest);
      expect(forUs).to.deep.equal(RECORDS[2][1]());
    });
  });

  describe('KafkaRequestDeserializer', () => {
    const ours = new KafkaRequestDeserializer();
    const nest = new NestKafkaRequestDeserializer();
    const parser = new NestKafkaParser();

    const withValue = RECORDS.filter(([, create]) => create().value !== null);
    const withoutValue = RECORDS.filter(([, create]) => create().value === null);

    for (const [name, create] of withValue) {
      it(`deserializes ${name} exactly as Nest does`, () => {
        const message = parser.parse(create()) as IncomingMessage;
        const options = { channel: message.topic };
        expect(ours.deserialize(message, options)).to.deep.equal(nest.deserialize(message, options));
      });
    }

    context('deliberate differences', () => {
      it('finds the tombstone among the records without a value', () => {
        expect(withoutValue.map(([name]) => name)).to.include('a tombstone');
      });

      for (const [name, create] of withoutValue) {
        it(`for ${name} (a null value) Nest hands over the whole message; rxkafka hands over null`, () => {
          const message = parser.parse(create()) as IncomingMessage;
          const options = { channel: message.topic };
          expect(nest.deserialize(message, options)).to.deep.equal({ pattern: message.topic, data: message });
          expect(ours.deserialize(message, options)).to.deep.equal({ pattern: message.topic, data: null });
        });
      }

      it('without options Nest gives an undefined pattern; rxkafka uses the topic', () => {
        const message = parser.parse(RECORDS[1][1]()) as IncomingMessage;
        expect(nest.deserialize(message)).to.deep.equal({ pattern: undefined, data: undefined });
        expect(ours.deserialize(message)).to.deep.equal({ pattern: 'math.sum', data: 'hi' });
      });
    });
  });

  describe('KafkaResponseDeserializer', () => {
    const ours = new KafkaResponseDeserializer();
    const nest = new NestKafkaResponseDeserializer();
    const parser = new NestKafkaParser();

    for (const [name, create] of REPLIES) {
      it(`deserializes ${name} exactly as Nest does`, () => {
        const message = parser.parse(create()) as IncomingMessage;
        expect(ours.deserialize(message)).to.deep.equal(nest.deserialize(message));
      });
    }

    context('deliberate differences', () => {
      it('without a correlation id Nest throws; rxkafka returns undefined', () => {
        const message = parser.parse(replyRecord({}, Buffer.from('x'))) as IncomingMessage;
        expect(() => nest.deserialize(message)).to.throw(TypeError);
        expect(ours.deserialize(message)).to.equal(undefined);
      });
    });
  });

  describe('error payloads (BaseRpcExceptionFilter)', () => {
    const filter = new BaseRpcExceptionFilter();
    let nestLogger: unknown;

    // The filter logs every unknown error; keep the test output clean.
    before(() => {
      nestLogger = Reflect.get(BaseRpcExceptionFilter, 'logger');
      Reflect.set(BaseRpcExceptionFilter, 'logger', { error: () => undefined });
    });
    after(() => {
      Reflect.set(BaseRpcExceptionFilter, 'logger', nestLogger);
    });

    function catchWithNest(exception: unknown): unknown {
      let payload: unknown;
      filter.catch(exception, undefined as never).subscribe({ error: (error: unknown) => (payload = error) });
      return payload;
    }

    function assignErrorHeaderWithNest(err: unknown): Buffer | undefined {
      const message = { value: null, headers: {} as Record<string, Buffer> };
      ServerKafka.prototype.assignErrorHeader({ id: 'id-1', err }, message);
      return message.headers['kafka_nest-err'];
    }

    const PAIRS: Array<[name: string, ours: () => unknown, nest: () => unknown]> = [
      [
        'RpcException with a string',
        () => new RpcException('bad input'),
        () => new NestRpcException('bad input'),
      ],
      ['RpcException with the empty string', () => new RpcException(''), () => new NestRpcException('')],
      [
        'RpcException with an object',
        () => new RpcException({ code: 42, message: 'nope' }),
        () => new NestRpcException({ code: 42, message: 'nope' }),
      ],
      [
        'RpcException with an array',
        () => new RpcException(['a', 'b']),
        () => new NestRpcException(['a', 'b']),
      ],
      ['a plain Error', () => new Error('secret'), () => new Error('secret')],
      [
        'a BadRequestException',
        () => new BadRequestException('invalid'),
        () => new BadRequestException('invalid'),
      ],
      ['a thrown string', () => 'oops', () => 'oops'],
      ['a thrown plain object', () => ({ message: 'x' }), () => ({ message: 'x' })],
      ['undefined', () => undefined, () => undefined],
    ];

    for (const [name, createOurs, createNest] of PAIRS) {
      it(`maps ${name} to the payload Nest replies with`, () => {
        expect(toErrorPayload(createOurs())).to.deep.equal(catchWithNest(createNest()));
      });

      it(`encodes the kafka_nest-err header for ${name} byte for byte as Nest`, () => {
        expect(encodeErrorHeader(toErrorPayload(createOurs()))).to.deep.equal(
          assignErrorHeaderWithNest(catchWithNest(createNest())),
        );
      });
    }

    it('maps a KafkaRetriableException to the same JSON as Nest', () => {
      const ours = encodeErrorHeader(toErrorPayload(new KafkaRetriableException('later')));
      const nest = assignErrorHeaderWithNest(catchWithNest(new NestKafkaRetriableException('later')));
      expect(ours).to.deep.equal(nest);
    });

    const NEST_EXCEPTIONS: Row[] = [
      ["Nest's RpcException with a string", () => new NestRpcException('bad input')],
      ["Nest's RpcException with an object", () => new NestRpcException({ code: 1 })],
      ["a subclass of Nest's RpcException", () => new (class Invalid extends NestRpcException {})('invalid')],
      ["Nest's KafkaRetriableException", () => new NestKafkaRetriableException('later')],
    ];
    for (const [name, create] of NEST_EXCEPTIONS) {
      it(`maps ${name} given to rxkafka as Nest's filter does`, () => {
        const exception = create();
        expect(toErrorPayload(exception)).to.deep.equal(catchWithNest(exception));
      });
    }

    context('deliberate differences', () => {
      it('Nest crashes on a number error (nestjs/nest#9024); rxkafka encodes it as text', () => {
        expect(() => assignErrorHeaderWithNest(500)).to.throw(TypeError);
        expect(encodeErrorHeader(500)).to.deep.equal(Buffer.from('500'));
      });
    });
  });

  describe('request records (ClientKafka.publish)', () => {
    interface PublishingClient {
      publish(packet: { pattern: string; data: unknown }, callback: () => void): () => void;
    }

    async function publishWithNest(data: unknown, correlationId: string): Promise<OutgoingMessage> {
      const client = new ClientKafka({});
      const sent: Array<{ topic: string; messages: OutgoingMessage[] }> = [];
      Reflect.set(client, '_producer', { send: async (record: (typeof sent)[number]) => sent.push(record) });
      Reflect.set(client, 'consumerAssignments', { 'math.sum.reply': 2 });
      Reflect.set(client, 'assignPacketId', (packet: object) => ({ ...packet, id: correlationId }));
      (client as unknown as PublishingClient).publish({ pattern: 'math.sum', data }, () => undefined);
      await new Promise((resolve) => setImmediate(resolve));
      expect(sent).to.have.length(1);
      expect(sent[0].topic).to.equal('math.sum');
      return sent[0].messages[0];
    }

    for (const [name, create] of VALUES) {
      it(`encodes a request carrying ${name} exactly as Nest does`, async () => {
        const ours = encodeRequest(new KafkaRequestSerializer().serialize(create()), {
          correlationId: '58710577e12cd007e9c53',
          replyTopic: 'math.sum.reply',
          replyPartition: 2,
        });
        expect(ours).to.deep.equal(await publishWithNest(create(), '58710577e12cd007e9c53'));
      });
    }
  });

  describe('reply records (ServerKafka.sendMessage)', () => {
    interface ReplyPacketOut {
      id: string;
      response?: unknown;
      err?: unknown;
      isDisposed?: boolean;
    }

    async function sendWithNest(
      packet: ReplyPacketOut,
      replyPartition: string | undefined,
    ): Promise<OutgoingMessage> {
      const server = new ServerKafka({});
      const sent: Array<{ topic: string; messages: OutgoingMessage[] }> = [];
      Reflect.set(server, 'producer', { send: async (record: (typeof sent)[number]) => sent.push(record) });
      await server.sendMessage(packet, 'math.sum.reply', replyPartition, packet.id, undefined as never);
      expect(sent).to.have.length(1);
      expect(sent[0].topic).to.equal('math.sum.reply');
      return sent[0].messages[0];
    }

    function encodeWithUs(packet: ReplyPacketOut, replyPartition: string | undefined): OutgoingMessage {
      const serialized = packet.err ? undefined : new KafkaRequestSerializer().serialize(packet.response);
      return encodeReply(serialized, {
        correlationId: packet.id,
        replyPartition: parseReplyPartition(replyPartition),
        err: packet.err,
        isDisposed: packet.isDisposed === true,
      });
    }

    const PACKETS: Array<[string, () => ReplyPacketOut, string | undefined]> = [
      ['a final object to partition 0', () => ({ id: 'id-1', response: { sum: 3 }, isDisposed: true }), '0'],
      [
        'a value that is not the last to partition 3',
        () => ({ id: 'id-1', response: 1, isDisposed: false }),
        '3',
      ],
      ['a void reply', () => ({ id: 'id-1', response: undefined, isDisposed: true }), '0'],
      [
        'a final value without reply partition',
        () => ({ id: 'id-1', response: 'hi', isDisposed: true }),
        undefined,
      ],
      [
        'an envelope reply',
        () => ({
          id: 'id-1',
          response: { key: 'k1', value: { r: 1 }, headers: { h1: 'v' } },
          isDisposed: true,
        }),
        '1',
      ],
      [
        'an error object',
        () => ({ id: 'id-1', err: { status: 'error', message: 'bad input' }, isDisposed: true }),
        '0',
      ],
      [
        'the no-handler error',
        () => ({ id: 'id-1', err: 'There is no matching message handler defined in the remote service.' }),
        '0',
      ],
      ['a binary reply', () => ({ id: 'id-1', response: Buffer.from([0, 1, 2]), isDisposed: true }), '2'],
      ['a non-ASCII correlation id', () => ({ id: 'ü-id', response: true, isDisposed: true }), '0'],
    ];

    for (const [name, create, replyPartition] of PACKETS) {
      it(`encodes ${name} exactly as Nest does`, async () => {
        expect(encodeWithUs(create(), replyPartition)).to.deep.equal(
          await sendWithNest(create(), replyPartition),
        );
      });
    }

    context('deliberate differences', () => {
      it('Nest sends to partition NaN for a reply partition of "abc"; rxkafka lets kafkajs pick', async () => {
        const packet = { id: 'id-1', response: 1, isDisposed: true };
        expect(Number.isNaN((await sendWithNest(packet, 'abc')).partition)).to.equal(true);
        expect(encodeWithUs(packet, 'abc')).to.not.have.property('partition');
      });
    });
  });
});
