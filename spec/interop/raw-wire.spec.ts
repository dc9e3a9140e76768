import { KafkaParser as NestKafkaParser } from '@nestjs/microservices';
import { expect } from 'chai';
import { Container } from 'inversify';
import { Observable, of } from 'rxjs';
import {
  Controller,
  Ctx,
  KafkaContext,
  KafkaHeaders,
  KafkaServer,
  MessagePattern,
  Payload,
  registerControllers,
  RpcException,
  silentLogger,
} from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { uniqueName } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';
import { createTopicsReady } from './support/create-topics-ready';
import { eventually } from './support/eventually';
import { RawWirePeer, type PeerRecord } from './support/raw-wire-peer';

const REPLY_PARTITIONS = 3;
/** `kafka_nest-is-disposed` on the wire: exactly one 0x00 byte. */
const IS_DISPOSED = Buffer.from([0x00]);
/** Not valid UTF-8: 0xc3 must be followed by a continuation byte (0x28 is `(`), and 0xff never occurs. */
const INVALID_UTF8 = Buffer.from([0xc3, 0x28, 0xff]);
/** Node's (and so NestJS's `value.toString()`) UTF-8 decoding of INVALID_UTF8: U+FFFD for each bad sequence. */
const INVALID_UTF8_TEXT = '\ufffd(\ufffd';
const BINARY_REPLY_HEADER = Buffer.from([0x00, 0xff, 0x80, 0x0a]);

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/**
 * What a handler received, as JSON a test can compare byte for byte. (Not `{ value }`: an object with a
 * `value` property is a Kafka envelope to the NestJS serializer.)
 */
function describePayload(data: unknown): unknown {
  if (Buffer.isBuffer(data)) return { type: 'buffer', length: data.length, hex: data.toString('hex') };
  return { type: typeof data, data };
}

/** A decoded record's key and its non-NestJS headers, described. (No `key`/`value` field: not an envelope.) */
function describeContext(message: { key: unknown; headers: Record<string, unknown> }): unknown {
  const headers = Object.entries(message.headers).filter(([name]) => !name.startsWith('kafka_'));
  return {
    recordKey: describePayload(message.key),
    recordHeaders: Object.fromEntries(headers.map(([name, value]) => [name, describePayload(value)])),
  };
}

function createWireController(prefix: string, received: unknown[]) {
  @Controller()
  class WireController {
    @MessagePattern(`${prefix}.inspect`)
    inspect(@Payload() data: unknown): unknown {
      received.push(data);
      return describePayload(data);
    }

    @MessagePattern(`${prefix}.keyed`)
    keyed(@Payload() data: unknown, @Ctx() context: KafkaContext) {
      const message = context.getMessage();
      return {
        key: `re-${String(message.key)}`,
        value: describePayload(data),
        headers: { trace: String(message.headers.trace) },
      };
    }

    @MessagePattern(`${prefix}.context`)
    context(@Ctx() context: KafkaContext): unknown {
      return describeContext(context.getMessage());
    }

    @MessagePattern(`${prefix}.binary-headers`)
    binaryHeaders() {
      return { value: 'bin', headers: { raw: BINARY_REPLY_HEADER, text: 'é' } };
    }

    @MessagePattern(`${prefix}.stream`)
    stream(): Observable<string> {
      return of('one', 'two');
    }

    @MessagePattern(`${prefix}.fail`)
    fail(): never {
      throw new RpcException({ code: 'E_WIRE', detail: 'refused' });
    }
  }
  return WireController;
}

describe('KafkaServer on the raw wire, driven by the Apache Kafka Java client (interop)', () => {
  const prefix = uniqueName('rawwire');
  const replyTopic = `${prefix}.reply`;
  const orphanReplyTopic = `${prefix}.orphan.reply`;
  const received: unknown[] = [];
  let server: KafkaServer | undefined;
  let peer: RawWirePeer | undefined;
  let nextId = 0;

  function javaPeer(): RawWirePeer {
    if (!peer) throw new Error('the Java peer did not start (see the before hook)');
    return peer;
  }

  /** Request headers as NestJS's client writes them, for a fresh correlation id. */
  function requestHeaders(replyPartition = '0'): { id: string; headers: Array<[string, string]> } {
    const id = `java-${nextId++}-${prefix}`;
    return {
      id,
      headers: [
        [KafkaHeaders.CORRELATION_ID, id],
        [KafkaHeaders.REPLY_TOPIC, replyTopic],
        [KafkaHeaders.REPLY_PARTITION, replyPartition],
      ],
    };
  }

  /** The records of `topic` whose correlation id header is exactly the UTF-8 bytes of `id`, once `count` exist. */
  async function repliesTo(id: string, count = 1, topic = replyTopic): Promise<PeerRecord[]> {
    const idBytes = utf8(id);
    let replies: PeerRecord[] = [];
    await eventually(async () => {
      replies = (await javaPeer().read(topic)).filter((record) =>
        record.headers.some(
          ([name, value]) => name === KafkaHeaders.CORRELATION_ID && value !== null && value.equals(idBytes),
        ),
      );
      return replies.length >= count;
    }, `${count} replies to ${id} on ${topic}`);
    return replies;
  }

  /** The single reply to `id`: a second one would be a duplicate. */
  async function replyTo(id: string): Promise<PeerRecord> {
    const replies = await repliesTo(id);
    expect(replies, `replies to ${id}`).to.have.length(1);
    return replies[0];
  }

  before(async function () {
    // A first run may start the broker and compile the Java peer.
    this.timeout(180_000);
    const brokers = [...(await useTestBroker()).brokers];
    // Side by side, but settled both ways: a peer that started must be stopped in after() even if the
    // topics failed.
    const [started, topics] = await Promise.allSettled([
      RawWirePeer.start(brokers),
      createTopicsReady([
        ...['inspect', 'keyed', 'context', 'binary-headers', 'stream', 'fail'].map((name) => ({
          topic: `${prefix}.${name}`,
        })),
        { topic: replyTopic, numPartitions: REPLY_PARTITIONS },
        { topic: orphanReplyTopic },
      ]),
    ]);
    if (started.status === 'fulfilled') peer = started.value;
    if (started.status === 'rejected') throw started.reason;
    if (topics.status === 'rejected') throw topics.reason;
    const container = new Container();
    registerControllers(container, [createWireController(prefix, received)]);
    server = new KafkaServer(container, {
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
      ...specDriver(),
    });
    await server.listen();
  });

  after(async () => {
    await server?.close();
    await peer?.stop();
  });

  describe('requests', () => {
    it('answers a JSON request on the requested partition with exact bytes and headers', async () => {
      const { id, headers } = requestHeaders('2');
      await javaPeer().produce(`${prefix}.inspect`, { value: utf8('{"hero":"Ann","level":3}'), headers });
      const reply = await replyTo(id);
      expect(reply.partition).to.equal(2);
      expect(reply.key).to.equal(null);
      expect(reply.value).to.deep.equal(utf8('{"type":"object","data":{"hero":"Ann","level":3}}'));
      expect(reply.headers).to.deep.equal([
        [KafkaHeaders.CORRELATION_ID, utf8(id)],
        [KafkaHeaders.NEST_IS_DISPOSED, IS_DISPOSED],
      ]);
    });

    it('hands a plain string value to the handler as a string', async () => {
      const { id, headers } = requestHeaders();
      await javaPeer().produce(`${prefix}.inspect`, { value: utf8('hello java'), headers });
      const reply = await replyTo(id);
      expect(reply.partition).to.equal(0);
      expect(reply.value).to.deep.equal(utf8('{"type":"string","data":"hello java"}'));
    });

    it('hands a 0x00-leading binary value to the handler as a Buffer, byte for byte', async () => {
      const { id, headers } = requestHeaders();
      await javaPeer().produce(`${prefix}.inspect`, {
        value: Buffer.from([0x00, 0xff, 0x0a, 0x7b]),
        headers,
      });
      const reply = await replyTo(id);
      expect(reply.value).to.deep.equal(utf8('{"type":"buffer","length":4,"hex":"00ff0a7b"}'));
    });

    it('hands a value that is not valid UTF-8 to the handler as NestJS does: decoded text with U+FFFD', async () => {
      // Nest's KafkaParser (and lib/wire/parser.ts) keep only 0x00-leading Buffers; anything else is
      // `toString('utf8')`, which replaces each invalid sequence with U+FFFD.
      const nestView = new NestKafkaParser().parse({ value: INVALID_UTF8, headers: {} } as never) as {
        value: unknown;
      };
      expect(nestView.value).to.equal(INVALID_UTF8_TEXT);
      const { id, headers } = requestHeaders();
      await javaPeer().produce(`${prefix}.inspect`, { value: INVALID_UTF8, headers });
      const reply = await replyTo(id);
      expect(received).to.include(INVALID_UTF8_TEXT);
      // The reply is UTF-8 JSON: each U+FFFD is ef bf bd on the wire; the original 0xc3 and 0xff are gone.
      expect(reply.value).to.deep.equal(
        Buffer.concat([
          utf8('{"type":"string","data":"'),
          Buffer.from([0xef, 0xbf, 0xbd, 0x28, 0xef, 0xbf, 0xbd]),
          utf8('"}'),
        ]),
      );
    });

    it('hands malformed JSON to the handler as the string it is', async () => {
      const { id, headers } = requestHeaders();
      await javaPeer().produce(`${prefix}.inspect`, { value: utf8('{not json'), headers });
      const reply = await replyTo(id);
      expect(reply.value).to.deep.equal(utf8('{"type":"string","data":"{not json"}'));
    });

    it('echoes a JSON-looking correlation id byte for byte', async () => {
      const id = `{"id":"${prefix}"}`;
      await javaPeer().produce(`${prefix}.inspect`, {
        value: utf8('"quoted"'),
        headers: [
          [KafkaHeaders.CORRELATION_ID, id],
          [KafkaHeaders.REPLY_TOPIC, replyTopic],
          [KafkaHeaders.REPLY_PARTITION, '1'],
        ],
      });
      const reply = await replyTo(id);
      expect(reply.partition).to.equal(1);
      expect(reply.value).to.deep.equal(utf8('{"type":"string","data":"\\"quoted\\""}'));
      expect(reply.headers).to.deep.equal([
        [KafkaHeaders.CORRELATION_ID, utf8(id)],
        [KafkaHeaders.NEST_IS_DISPOSED, IS_DISPOSED],
      ]);
    });

    it('still replies when the reply partition header is not a number, wherever the partitioner puts it', async () => {
      const { id, headers } = requestHeaders('abc');
      await javaPeer().produce(`${prefix}.inspect`, { value: utf8('[1,2]'), headers });
      const reply = await replyTo(id);
      expect(reply.partition).to.be.within(0, REPLY_PARTITIONS - 1);
      expect(reply.value).to.deep.equal(utf8('{"type":"object","data":[1,2]}'));
      expect(reply.headers).to.deep.equal([
        [KafkaHeaders.CORRELATION_ID, utf8(id)],
        [KafkaHeaders.NEST_IS_DISPOSED, IS_DISPOSED],
      ]);
    });

    it('still replies when the request has no reply partition header', async () => {
      const { id, headers } = requestHeaders();
      const withoutPartition = headers.filter(([name]) => name !== KafkaHeaders.REPLY_PARTITION);
      await javaPeer().produce(`${prefix}.inspect`, { value: utf8('x'), headers: withoutPartition });
      const reply = await replyTo(id);
      expect(reply.partition).to.be.within(0, REPLY_PARTITIONS - 1);
      expect(reply.value).to.deep.equal(utf8('{"type":"string","data":"x"}'));
      expect(reply.headers).to.deep.equal([
        [KafkaHeaders.CORRELATION_ID, utf8(id)],
        [KafkaHeaders.NEST_IS_DISPOSED, IS_DISPOSED],
      ]);
    });

    it('puts the handler’s key and headers before the NestJS headers', async () => {
      const { id, headers } = requestHeaders();
      await javaPeer().produce(`${prefix}.keyed`, {
        value: utf8('{"heroId":7}'),
        key: 'hero-7',
        headers: [['trace', 't-1'], ...headers],
      });
      const reply = await replyTo(id);
      expect(reply.key).to.deep.equal(utf8('re-hero-7'));
      expect(reply.value).to.deep.equal(utf8('{"type":"object","data":{"heroId":7}}'));
      expect(reply.headers).to.deep.equal([
        ['trace', utf8('t-1')],
        [KafkaHeaders.CORRELATION_ID, utf8(id)],
        [KafkaHeaders.NEST_IS_DISPOSED, IS_DISPOSED],
      ]);
    });

    it('hands a null key and raw-byte header values to the handler exactly as NestJS decodes them', async () => {
      const { id, headers } = requestHeaders();
      const rawHeaders: Array<[string, Buffer | null]> = [
        ['bin', Buffer.from([0x00, 0xfe, 0x41])],
        ['bad-utf8', INVALID_UTF8],
        ['json', utf8('{"a":[1]}')],
        ['empty', Buffer.alloc(0)],
        ['nothing', null],
        ['dup', utf8('a')],
        ['dup', utf8('b')],
      ];
      await javaPeer().produce(`${prefix}.context`, {
        value: utf8('{}'),
        key: null,
        headers: [...rawHeaders, ...headers],
      });
      const reply = await replyTo(id);

      const expected = {
        recordKey: { type: 'object', data: null },
        recordHeaders: {
          bin: { type: 'buffer', length: 3, hex: '00fe41' },
          'bad-utf8': { type: 'string', data: INVALID_UTF8_TEXT },
          json: { type: 'object', data: { a: [1] } },
          empty: { type: 'string', data: '' },
          nothing: { type: 'object', data: null },
          // kafkajs hands a repeated header as an array; its text joined with commas, as Nest's toString().
          dup: { type: 'string', data: 'a,b' },
        },
      };
      // The same record as kafkajs delivers it, through NestJS's own parser, describes the same way.
      const nestView = new NestKafkaParser().parse({
        key: null,
        value: utf8('{}'),
        headers: {
          bin: rawHeaders[0][1],
          'bad-utf8': rawHeaders[1][1],
          json: rawHeaders[2][1],
          empty: rawHeaders[3][1],
          nothing: null,
          dup: [utf8('a'), utf8('b')],
        },
      } as never) as { key: unknown; headers: Record<string, unknown> };
      expect(describeContext(nestView)).to.deep.equal(expected);

      expect(reply.key).to.equal(null);
      expect(reply.value).to.deep.equal(utf8(JSON.stringify(expected)));
      expect(reply.headers).to.deep.equal([
        [KafkaHeaders.CORRELATION_ID, utf8(id)],
        [KafkaHeaders.NEST_IS_DISPOSED, IS_DISPOSED],
      ]);
    });

    it('writes reply header values as exact bytes: a handler’s Buffer, UTF-8 text, the id, one 0x00', async () => {
      const id = `java-✓-é-${prefix}`;
      await javaPeer().produce(`${prefix}.binary-headers`, {
        value: utf8('{}'),
        headers: [
          [KafkaHeaders.CORRELATION_ID, id],
          [KafkaHeaders.REPLY_TOPIC, replyTopic],
          [KafkaHeaders.REPLY_PARTITION, '0'],
        ],
      });
      const reply = await replyTo(id);
      expect(reply.key).to.equal(null);
      expect(reply.value).to.deep.equal(utf8('bin'));
      expect(reply.headers).to.deep.equal([
        ['raw', Buffer.from([0x00, 0xff, 0x80, 0x0a])],
        ['text', Buffer.from([0xc3, 0xa9])],
        [KafkaHeaders.CORRELATION_ID, utf8(id)],
        [KafkaHeaders.NEST_IS_DISPOSED, Buffer.from([0x00])],
      ]);
      const disposed = reply.headers.find(([name]) => name === KafkaHeaders.NEST_IS_DISPOSED)?.[1];
      expect(disposed?.length).to.equal(1);
      expect(disposed?.[0]).to.equal(0x00);
    });

    it('sends one record per streamed value, the last one carrying is-disposed', async () => {
      const { id, headers } = requestHeaders();
      await javaPeer().produce(`${prefix}.stream`, { value: utf8('{}'), headers });
      const replies = await repliesTo(id, 2);
      expect(replies.map((r) => [r.value, r.headers])).to.deep.equal([
        [utf8('one'), [[KafkaHeaders.CORRELATION_ID, utf8(id)]]],
        [
          utf8('two'),
          [
            [KafkaHeaders.CORRELATION_ID, utf8(id)],
            [KafkaHeaders.NEST_IS_DISPOSED, IS_DISPOSED],
          ],
        ],
      ]);
    });

    it('answers an RpcException with a null value and the error as JSON', async () => {
      const { id, headers } = requestHeaders();
      await javaPeer().produce(`${prefix}.fail`, { value: utf8('{}'), headers });
      const reply = await replyTo(id);
      expect(reply.value).to.equal(null);
      expect(reply.headers).to.deep.equal([
        [KafkaHeaders.CORRELATION_ID, utf8(id)],
        [KafkaHeaders.NEST_ERR, utf8('{"code":"E_WIRE","detail":"refused"}')],
        [KafkaHeaders.NEST_IS_DISPOSED, IS_DISPOSED],
      ]);
    });
  });

  describe('records without the request headers', () => {
    it('runs a @MessagePattern handler as an event and produces no reply', async () => {
      const marker = uniqueName('event');
      await javaPeer().produce(`${prefix}.inspect`, { value: utf8(`${marker}-bare`) });
      // A reply topic without a correlation id is still an event (NestJS's rule): nothing may reach it.
      await javaPeer().produce(`${prefix}.inspect`, {
        value: utf8(`${marker}-no-id`),
        headers: [
          [KafkaHeaders.REPLY_TOPIC, orphanReplyTopic],
          [KafkaHeaders.REPLY_PARTITION, '0'],
        ],
      });
      // A request after both on the same partition: once its reply exists, the two events were handled.
      const barrierId = `barrier-${marker}`;
      await javaPeer().produce(`${prefix}.inspect`, {
        value: utf8(`${marker}-barrier`),
        headers: [
          [KafkaHeaders.CORRELATION_ID, barrierId],
          [KafkaHeaders.REPLY_TOPIC, orphanReplyTopic],
          [KafkaHeaders.REPLY_PARTITION, '0'],
        ],
      });
      await repliesTo(barrierId, 1, orphanReplyTopic);
      expect(received).to.include.members([`${marker}-bare`, `${marker}-no-id`, `${marker}-barrier`]);
      const orphanReplies = await javaPeer().read(orphanReplyTopic);
      expect(orphanReplies.map((r) => r.value)).to.deep.equal([
        utf8(`{"type":"string","data":"${marker}-barrier"}`),
      ]);
    });
  });
});
