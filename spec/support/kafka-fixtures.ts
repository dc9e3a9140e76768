/**
 * Helpers for integration specs: unique names and topics on the shared test broker.
 * Every spec owns its topics (random names), so specs never depend on each other's order.
 */
import { randomBytes } from 'node:crypto';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { useTestBroker } from './global-broker';

/** `prefix` plus 8 random hex chars: safe as a topic or group name. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A kafkajs client on the shared broker, quiet unless KAFKAJS_LOG is set. */
export async function testKafka(clientId = uniqueName('spec')): Promise<Kafka> {
  const { brokers } = await useTestBroker();
  return new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: process.env.KAFKAJS_LOG ? logLevel.INFO : logLevel.NOTHING,
  });
}

/** Runs `work` with a connected admin client and disconnects it afterwards. */
export async function withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = (await testKafka()).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates topics (waiting for their leaders) and returns their names. */
export async function createTopics(
  topics: ReadonlyArray<{ topic: string; numPartitions?: number }>,
): Promise<string[]> {
  await withAdmin((admin) =>
    admin.createTopics({
      waitForLeaders: true,
      topics: topics.map(({ topic, numPartitions = 1 }) => ({ topic, numPartitions, replicationFactor: 1 })),
    }),
  );
  return topics.map(({ topic }) => topic);
}
