/**
 * `npm start`: starts the embedded broker (or uses KAFKA_BROKERS), then runs a produce/consume round trip.
 */
import { Kafka, logLevel } from 'kafkajs';
import { startLocalKafka } from '../lib/testing';

async function main(): Promise<void> {
  const kafka = await startLocalKafka({ logger: { info: (m) => console.log(`[broker] ${m}`) } });
  try {
    const client = new Kafka({
      clientId: 'rxkafka-demo',
      brokers: [...kafka.brokers],
      logLevel: logLevel.NOTHING,
    });
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'demo.hello', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic: 'demo.hello', messages: [{ value: 'hello from rxkafka' }] });
    await producer.disconnect();
    const consumer = client.consumer({ groupId: 'rxkafka-demo' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'demo.hello', fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          console.log(`consumed: ${message.value?.toString()}`);
          resolve();
        },
      });
    });
    await consumer.disconnect();
  } finally {
    await kafka.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
