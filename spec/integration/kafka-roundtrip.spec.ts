import { expect } from 'chai';
import { EachMessagePayload } from 'kafkajs';
import { createTopics, testKafka, uniqueName, withAdmin } from '../support/kafka-fixtures';

describe('the test broker (integration)', () => {
  it('creates a topic, produces, consumes and commits with kafkajs', async () => {
    const [topic] = await createTopics([{ topic: uniqueName('roundtrip'), numPartitions: 2 }]);
    const groupId = uniqueName('roundtrip-group');
    const kafka = await testKafka();

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 4}`, value: `v${i}` })),
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }: EachMessagePayload) => {
            received.push(String(message.value));
            if (received.length === 10) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect(); // commits the resolved offsets

    expect([...received].sort()).to.deep.equal(Array.from({ length: 10 }, (_, i) => `v${i}`).sort());
    const committed = await withAdmin((admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
    const total = committed[0].partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(total).to.equal(10);
  });
});
