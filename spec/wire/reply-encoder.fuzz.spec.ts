/**
 * Property-based: random replies through rxkafka's encodeReply() and NestJS's own `ServerKafka.sendMessage`
 * (@nestjs/microservices 11, its producer replaced by a recorder), compared byte for byte. See
 * spec/support/fuzz.ts for the seed.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { ServerKafka } from '@nestjs/microservices';
import type { OutgoingMessage } from '../../lib/wire/outgoing-message';
import { encodeReply, parseReplyPartition } from '../../lib/wire/reply-encoder';
import { KafkaRequestSerializer } from '../../lib/wire/serializer';
import { fuzzParameters } from '../support/fuzz';
import { pickKafkajsFields } from '../support/nest-wire';
import { applicationValue, envelope, replyPartitionText, wireText } from '../support/wire-arbitraries';

interface ReplyPacketOut {
  id: string;
  response?: unknown;
  err?: unknown;
  isDisposed: boolean;
}

/** A reply as a server sends it: a value (or envelope), or an error payload NestJS would send (never falsy). */
const replyPacket: fc.Arbitrary<[ReplyPacketOut, ReplyPacketOut]> = fc
  .record({
    id: fc.oneof(fc.stringMatching(/^[0-9a-f]{21}$/), wireText),
    response: fc.clone(fc.oneof(applicationValue, envelope), 2),
    err: fc.option(
      fc.oneof(
        fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
        fc.string({ minLength: 1, maxLength: 20 }),
      ),
      { nil: undefined, freq: 3 },
    ),
    isDisposed: fc.boolean(),
  })
  .map(({ id, response, err, isDisposed }) =>
    err === undefined
      ? [
          { id, response: response[0], isDisposed },
          { id, response: response[1], isDisposed },
        ]
      : [
          { id, err, isDisposed },
          { id, err, isDisposed },
        ],
  );

/** The `kafka_replyPartition` header a request carried: absent, or a partition number as NestJS writes it. */
const validReplyPartition = fc.option(fc.nat({ max: 2 ** 31 - 1 }).map(String), { nil: undefined });

type Outcome = { message: OutgoingMessage } | { threw: true };

describe('encodeReply() (fuzz)', () => {
  const serializer = new KafkaRequestSerializer();
  const sent: OutgoingMessage[] = [];
  const server = new ServerKafka({});
  Reflect.set(server, 'producer', {
    send: async (record: { messages: OutgoingMessage[] }) => void sent.push(...record.messages),
  });

  async function sendWithNest(packet: ReplyPacketOut, replyPartition: string | undefined): Promise<Outcome> {
    sent.length = 0;
    try {
      await server.sendMessage(packet, 'r.reply', replyPartition, packet.id, undefined as never);
    } catch {
      return { threw: true };
    }
    expect(sent).to.have.length(1);
    return { message: pickKafkajsFields(sent[0]) };
  }

  function encodeWithUs(packet: ReplyPacketOut, replyPartition: string | undefined): Outcome {
    try {
      const serialized = packet.err === undefined ? serializer.serialize(packet.response) : undefined;
      const meta = {
        correlationId: packet.id,
        replyPartition: parseReplyPartition(replyPartition),
        err: packet.err,
        isDisposed: packet.isDisposed,
      };
      return { message: encodeReply(serialized, meta) };
    } catch {
      return { threw: true };
    }
  }

  it('builds the same reply record as NestJS for random values, errors, ids and reply partitions', async () => {
    await fc.assert(
      fc.asyncProperty(replyPacket, validReplyPartition, async ([forUs, forNest], replyPartition) => {
        const ours = encodeWithUs(forUs, replyPartition);
        expect(ours).to.deep.equal(await sendWithNest(forNest, replyPartition));
      }),
      fuzzParameters(1_000),
    );
  });

  it('never sends to a partition that is not an int32 number, whatever the header says', () => {
    fc.assert(
      fc.property(replyPartitionText, fc.boolean(), (text, isDisposed) => {
        const reply = encodeReply(
          { value: 'v', headers: {} },
          { correlationId: 'id', isDisposed, replyPartition: parseReplyPartition(text) },
        );
        if (reply.partition === undefined) return;
        expect(
          Number.isInteger(reply.partition) && reply.partition >= 0 && reply.partition <= 2 ** 31 - 1,
        ).to.equal(true);
        expect(String(reply.partition)).to.equal(text.replace(/^0+(?=\d)/, ''));
      }),
      fuzzParameters(500),
    );
  });
});
