/**
 * Property-based: random requests through rxkafka's serializer and encodeRequest() and NestJS's own
 * `ClientKafka.publish` (@nestjs/microservices 11, its producer replaced by a recorder), compared byte for
 * byte. See spec/support/fuzz.ts for the seed.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { ClientKafka } from '@nestjs/microservices';
import type { OutgoingMessage } from '../../lib/wire/outgoing-message';
import { encodeRequest } from '../../lib/wire/request-encoder';
import { KafkaRequestSerializer } from '../../lib/wire/serializer';
import { fuzzParameters } from '../support/fuzz';
import { pickKafkajsFields } from '../support/nest-wire';
import { applicationValue, envelope, topicName } from '../support/wire-arbitraries';

interface PublishingClient {
  publish(
    packet: { pattern: string; data: unknown },
    callback: (packet: { err?: unknown }) => void,
  ): () => void;
}

type Outcome = { topic: string; message: OutgoingMessage } | { threw: true };

describe('encodeRequest() (fuzz)', () => {
  const serializer = new KafkaRequestSerializer();
  const sent: Array<{ topic: string; messages: OutgoingMessage[] }> = [];
  const client = new ClientKafka({});
  Reflect.set(client, '_producer', { send: async (record: (typeof sent)[number]) => void sent.push(record) });
  let nextId = '';
  Reflect.set(client, 'assignPacketId', (packet: object) => ({ ...packet, id: nextId }));

  async function publishWithNest(
    pattern: string,
    data: unknown,
    id: string,
    partition: number,
  ): Promise<Outcome> {
    sent.length = 0;
    nextId = id;
    Reflect.set(client, 'consumerAssignments', { [`${pattern}.reply`]: partition });
    let failed = false;
    (client as unknown as PublishingClient).publish({ pattern, data }, (packet) => {
      if (packet.err !== undefined) failed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    if (failed) return { threw: true };
    expect(sent).to.have.length(1);
    return { topic: sent[0].topic, message: pickKafkajsFields(sent[0].messages[0]) };
  }

  it('builds the same request record as NestJS for random payloads, topics, ids and reply partitions', async () => {
    const request = fc.record({
      pattern: topicName(),
      data: fc.clone(fc.oneof(applicationValue, envelope), 2),
      id: fc.oneof(fc.stringMatching(/^[0-9a-f]{21}$/), fc.string({ minLength: 1, maxLength: 30 })),
      partition: fc.nat({ max: 2 ** 31 - 1 }),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ pattern, data: [forUs, forNest], id, partition }) => {
        let ours: Outcome;
        try {
          const meta = { correlationId: id, replyTopic: `${pattern}.reply`, replyPartition: partition };
          ours = { topic: pattern, message: encodeRequest(serializer.serialize(forUs), meta) };
        } catch {
          ours = { threw: true };
        }
        expect(ours).to.deep.equal(await publishWithNest(pattern, forNest, id, partition));
      }),
      fuzzParameters(1_000),
    );
  });
});
