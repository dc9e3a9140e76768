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
import { createTopicsReady } from './support/create-topics-ready';
import { eventually } from './support/eventually';
import { assertKcatInstalled, consumeWithKcat, produceWithKcat, type KcatRecord } from './support/kcat';

const REPLY_PARTITIONS = 3;
const IS_DISPOSED = '\u0000';

/**
 * What a handler received, as JSON a test can compare byte for byte. (Not `{ value }`: an object with a
 * `value` property is a Kafka envelope to the NestJS serializer.)
 */
function describePayload(data: unknown): unknown {
  if (Buffer.isBuffer(data)) return { type: 'buffer', length: data.length, hex: data.toString('hex') };
  return { type: typeof data, data };
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

describe('KafkaServer on the raw wire, driven by kcat (interop)', () => {
  const prefix = uniqueName('kcat');
  const replyTopic = `${prefix}.reply`;
  const orphanReplyTopic = `${prefix}.orphan.reply`;
  const received: unknown[] = [];
  let brokers: string[];
  let server: KafkaServer;
  let nextId = 0;

  /** Request headers as NestJS's client writes them, for a fresh correlation id. */
  function requestHeaders(replyPartition = '0'): { id: string; headers: Array<[string, string]> } {
    const id = `kcat-${nextId++}-${prefix}`;
    return {
      id,
      headers: [
        [KafkaHeaders.CORRELATION_ID, id],
        [KafkaHeaders.REPLY_TOPIC, replyTopic],
        [KafkaHeaders.REPLY_PARTITION, replyPartition],
      ],
    };
  }

  /** The records of `topic` carrying correlation id `id`, once `count` of them exist. */
  async function repliesTo(id: string, count = 1, topic = replyTopic): Promise<KcatRecord[]> {
    let replies: KcatRecord[] = [];
    await eventually(async () => {
      replies = (await consumeWithKcat(brokers, topic)).filter((record) =>
        record.headers.some(([name, value]) => name === KafkaHeaders.CORRELATION_ID && value === id),
      );
      return replies.length >= count;
    }, `${count} replies to ${id} on ${topic}`);
    return replies;
  }

  before(async () => {
    assertKcatInstalled();
    brokers = [...(await useTestBroker()).brokers];
    await createTopicsReady([
      ...['inspect', 'keyed', 'stream', 'fail'].map((name) => ({ topic: `${prefix}.${name}` })),
      { topic: replyTopic, numPartitions: REPLY_PARTITIONS },
      { topic: orphanReplyTopic },
    ]);
    const container = new Container();
    registerControllers(container, [createWireController(prefix, received)]);
    server = new KafkaServer(container, {
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
    });
    await server.listen();
  });

  after(async () => {
    await server?.close();
  });

  describe('requests', () => {
    it('answers a JSON request on the requested partition with exact bytes and headers', async () => {
      const { id, headers } = requestHeaders('2');
      await produceWithKcat(brokers, `${prefix}.inspect`, {
        value: Buffer.from('{"hero":"Ann","level":3}'),
        headers,
      });
      const [reply] = await repliesTo(id);
      expect(reply).to.include({
        partition: 2,
        key: null,
        payload: '{"type":"object","data":{"hero":"Ann","level":3}}',
      });
      expect(reply.headers).to.deep.equal([
        [KafkaHeaders.CORRELATION_ID, id],
        [KafkaHeaders.NEST_IS_DISPOSED, IS_DISPOSED],
      ]);
    });

    it('hands a plain string value to the handler as a string', async () => {
      const { id, headers } = requestHeaders();
      await produceWithKcat(brokers, `${prefix}.inspect`, { value: Buffer.from('hello kcat'), headers });
      const [reply] = await repliesTo(id);
      expect(reply).to.include({ partition: 0, payload: '{"type":"string","data":"hello kcat"}' });
    });

    it('hands a 0x00-leading binary value to the handler as a Buffer, byte for byte', async () => {
      const { id, headers } = requestHeaders();
      await produceWithKcat(brokers, `${prefix}.inspect`, {
        value: Buffer.from([0x00, 0xff, 0x0a, 0x7b]),
        headers,
      });
      const [reply] = await repliesTo(id);
      expect(reply.payload).to.equal('{"type":"buffer","length":4,"hex":"00ff0a7b"}');
    });

    it('hands malformed JSON to the handler as the string it is', async () => {
      const { id, headers } = requestHeaders();
      await produceWithKcat(brokers, `${prefix}.inspect`, { value: Buffer.from('{not json'), headers });
      const [reply] = await repliesTo(id);
      expect(reply.payload).to.equal('{"type":"string","data":"{not json"}');
    });

    it('echoes a JSON-looking correlation id byte for byte', async () => {
      const id = `{"id":"${prefix}"}`;
      await produceWithKcat(brokers, `${prefix}.inspect`, {
        value: Buffer.from('"quoted"'),
        headers: [
          [KafkaHeaders.CORRELATION_ID, id],
          [KafkaHeaders.REPLY_TOPIC, replyTopic],
          [KafkaHeaders.REPLY_PARTITION, '1'],
        ],
      });
      const [reply] = await repliesTo(id);
      expect(reply).to.include({ partition: 1, payload: '{"type":"string","data":"\\"quoted\\""}' });
    });

    it('still replies when the reply partition header is not a number, wherever the partitioner puts it', async () => {
      const { id, headers } = requestHeaders('abc');
      await produceWithKcat(brokers, `${prefix}.inspect`, { value: Buffer.from('[1,2]'), headers });
      const [reply] = await repliesTo(id);
      expect(reply.partition).to.be.within(0, REPLY_PARTITIONS - 1);
      expect(reply.payload).to.equal('{"type":"object","data":[1,2]}');
      expect(reply.headers).to.deep.equal([
        [KafkaHeaders.CORRELATION_ID, id],
        [KafkaHeaders.NEST_IS_DISPOSED, IS_DISPOSED],
      ]);
    });

    it('still replies when the request has no reply partition header', async () => {
      const { id, headers } = requestHeaders();
      const withoutPartition = headers.filter(([name]) => name !== KafkaHeaders.REPLY_PARTITION);
      await produceWithKcat(brokers, `${prefix}.inspect`, {
        value: Buffer.from('x'),
        headers: withoutPartition,
      });
      const [reply] = await repliesTo(id);
      expect(reply.payload).to.equal('{"type":"string","data":"x"}');
    });

    it('puts the handler’s key and headers before the NestJS headers', async () => {
      const { id, headers } = requestHeaders();
      await produceWithKcat(brokers, `${prefix}.keyed`, {
        value: Buffer.from('{"heroId":7}'),
        key: 'hero-7',
        headers: [['trace', 't-1'], ...headers],
      });
      const [reply] = await repliesTo(id);
      expect(reply).to.include({ key: 're-hero-7', payload: '{"type":"object","data":{"heroId":7}}' });
      expect(reply.headers).to.deep.equal([
        ['trace', 't-1'],
        [KafkaHeaders.CORRELATION_ID, id],
        [KafkaHeaders.NEST_IS_DISPOSED, IS_DISPOSED],
      ]);
    });

    it('sends one record per streamed value, the last one carrying is-disposed', async () => {
      const { id, headers } = requestHeaders();
      await produceWithKcat(brokers, `${prefix}.stream`, { value: Buffer.from('{}'), headers });
      const replies = await repliesTo(id, 2);
      expect(replies.map((r) => [r.payload, r.headers])).to.deep.equal([
        ['one', [[KafkaHeaders.CORRELATION_ID, id]]],
        [
          'two',
          [
            [KafkaHeaders.CORRELATION_ID, id],
            [KafkaHeaders.NEST_IS_DISPOSED, IS_DISPOSED],
          ],
        ],
      ]);
    });

    it('answers an RpcException with a null value and the error as JSON', async () => {
      const { id, headers } = requestHeaders();
      await produceWithKcat(brokers, `${prefix}.fail`, { value: Buffer.from('{}'), headers });
      const [reply] = await repliesTo(id);
      expect(reply.payload).to.equal(null);
      expect(reply.headers).to.deep.equal([
        [KafkaHeaders.CORRELATION_ID, id],
        [KafkaHeaders.NEST_ERR, '{"code":"E_WIRE","detail":"refused"}'],
        [KafkaHeaders.NEST_IS_DISPOSED, IS_DISPOSED],
      ]);
    });
  });

  describe('records without the request headers', () => {
    it('runs a @MessagePattern handler as an event and produces no reply', async () => {
      const marker = uniqueName('event');
      await produceWithKcat(brokers, `${prefix}.inspect`, { value: Buffer.from(`${marker}-bare`) });
      // A reply topic without a correlation id is still an event (NestJS's rule): nothing may reach it.
      await produceWithKcat(brokers, `${prefix}.inspect`, {
        value: Buffer.from(`${marker}-no-id`),
        headers: [
          [KafkaHeaders.REPLY_TOPIC, orphanReplyTopic],
          [KafkaHeaders.REPLY_PARTITION, '0'],
        ],
      });
      // A request after both on the same partition: once its reply exists, the two events were handled.
      const barrierId = `barrier-${marker}`;
      await produceWithKcat(brokers, `${prefix}.inspect`, {
        value: Buffer.from(`${marker}-barrier`),
        headers: [
          [KafkaHeaders.CORRELATION_ID, barrierId],
          [KafkaHeaders.REPLY_TOPIC, orphanReplyTopic],
          [KafkaHeaders.REPLY_PARTITION, '0'],
        ],
      });
      await repliesTo(barrierId, 1, orphanReplyTopic);
      expect(received).to.include.members([`${marker}-bare`, `${marker}-no-id`, `${marker}-barrier`]);
      const orphanReplies = await consumeWithKcat(brokers, orphanReplyTopic);
      expect(orphanReplies.map((r) => r.payload)).to.deep.equal([
        `{"type":"string","data":"${marker}-barrier"}`,
      ]);
    });
  });
});
