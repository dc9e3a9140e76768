import { expect } from 'chai';
import type { IHeaders, Message } from 'kafkajs';
import { KafkaRequestDeserializer, KafkaResponseDeserializer } from '../../lib/wire/deserializer';
import { toErrorPayload } from '../../lib/pipeline/error-payload';
import type { OutgoingMessage } from '../../lib/wire/outgoing-message';
import { KafkaParser, type RawKafkaRecord } from '../../lib/wire/parser';
import { encodeReply, parseReplyPartition } from '../../lib/wire/reply-encoder';
import { encodeRequest } from '../../lib/wire/request-encoder';
import { KafkaRequestSerializer } from '../../lib/wire/serializer';
import { RpcException } from '../../lib/handlers/rpc-exception';

interface KafkajsEncoder {
  buffer: Buffer;
}
interface KafkajsDecoder {
  readVarIntBytes(): Buffer;
}
type DecodedRecord = {
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  offset: string;
  timestamp: string;
};

// kafkajs's own record codec (the bytes producer.send writes and a consumer reads), without a broker.
/* eslint-disable @typescript-eslint/no-require-imports */
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (m: Message) => KafkajsEncoder;
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (
  d: KafkajsDecoder,
  context: { firstOffset: string; firstTimestamp: number; magicByte: number },
) => DecodedRecord;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => KafkajsDecoder;
/* eslint-enable @typescript-eslint/no-require-imports */

/** Sends an OutgoingMessage through kafkajs's record encoder and decoder, as a broker round trip would. */
function transmit(message: OutgoingMessage, topic: string): RawKafkaRecord {
  const kafkajsMessage: Message = message;
  const bytes = encodeRecord(kafkajsMessage).buffer;
  const record = decodeRecord(new Decoder(new Decoder(bytes).readVarIntBytes()), {
    firstOffset: '0',
    firstTimestamp: 1700000000000,
    magicByte: 2,
  });
  return { ...record, attributes: 0, topic, partition: 0 };
}

describe('OutgoingMessage', () => {
  const serializer = new KafkaRequestSerializer();
  const parser = new KafkaParser();

  context('through kafkajs record bytes', () => {
    it('carries a request from serializer to request packet', () => {
      const serialized = serializer.serialize({ key: 'k', value: { a: 1, b: 2 }, headers: { trace: 't1' } });
      const request = encodeRequest(serialized, {
        correlationId: 'abc123',
        replyTopic: 'math.sum.reply',
        replyPartition: 2,
      });
      const incoming = parser.parse(transmit(request, 'math.sum'));
      expect(incoming.key).to.equal('k');
      expect(incoming.headers).to.deep.equal({
        trace: 't1',
        kafka_correlationId: 'abc123',
        kafka_replyTopic: 'math.sum.reply',
        kafka_replyPartition: '2',
      });
      expect(parseReplyPartition(incoming.headers.kafka_replyPartition)).to.equal(2);
      expect(new KafkaRequestDeserializer().deserialize(incoming, { channel: 'math.sum' })).to.deep.equal({
        pattern: 'math.sum',
        data: { a: 1, b: 2 },
      });
    });

    it('carries a final reply from serializer to reply packet', () => {
      const reply = encodeReply(serializer.serialize(5), { correlationId: 'abc123', isDisposed: true });
      const packet = new KafkaResponseDeserializer().deserialize(
        parser.parse(transmit(reply, 'math.sum.reply')),
      );
      expect(packet).to.deep.equal({ id: 'abc123', response: '5', isDisposed: true });
    });

    it('carries an error reply to an error packet with the decoded payload', () => {
      const reply = encodeReply(undefined, {
        correlationId: 'abc123',
        err: toErrorPayload(new RpcException('bad input')),
        isDisposed: true,
      });
      const packet = new KafkaResponseDeserializer().deserialize(
        parser.parse(transmit(reply, 'math.sum.reply')),
      );
      expect(packet).to.deep.equal({
        id: 'abc123',
        err: { status: 'error', message: 'bad input' },
        isDisposed: true,
      });
    });

    it('carries a tombstone as a null value', () => {
      const incoming = parser.parse(transmit(serializer.serialize({ key: 'user-1', value: null }), 'users'));
      expect(incoming.key).to.equal('user-1');
      expect(incoming.value).to.equal(null);
    });

    it('carries a 0x00-leading binary value byte for byte', () => {
      const avro = Buffer.from([0, 0, 0, 0, 3, 0xff, 0x10]);
      const incoming = parser.parse(transmit(serializer.serialize(avro), 'avro'));
      expect(incoming.value).to.deep.equal(avro);
    });
  });
});
