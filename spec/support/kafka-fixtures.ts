/**
 * Helpers for integration specs: unique names and topics on the shared test broker.
 * Every spec owns its topics (random names), so specs never depend on each other's order.
 */
import { randomBytes } from 'node:crypto';
import { Admin, Kafka, logLevel, type Message } from 'kafkajs';
import { createTopics as createRxKafkaTopics } from '../../lib/admin/create-topics';
import { createStreamLogger, silentLogger } from '../../lib/logger';
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

/**
 * Writes `messages` to `topic` with an idempotent producer, so a retried request cannot write a record
 * twice (kafkajs resends a whole request when one of its partitions failed).
 */
export async function produceRecords(topic: string, messages: Message[]): Promise<void> {
  const producer = (await testKafka()).producer({ idempotent: true });
  await producer.connect();
  try {
    await producer.sendBatch({ topicMessages: [{ topic, messages }] });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Writes one transaction of two records to partition 0 of `topic` per round, committed or aborted as
 * `rounds` says, with one transactional producer: values `{ round, n }`, n 0 and 1. Each transaction ends
 * with its marker, so round r's records are offsets 3r and 3r + 1.
 */
export async function produceTransactionRounds(topic: string, rounds: readonly boolean[]): Promise<void> {
  const producer = (await testKafka()).producer({
    transactionalId: uniqueName('spec-txn-rounds'),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    for (const [round, commit] of rounds.entries()) {
      const transaction = await producer.transaction();
      await transaction.send({
        topic,
        messages: [0, 1].map((n) => ({ partition: 0, value: JSON.stringify({ round, n }) })),
      });
      await (commit ? transaction.commit() : transaction.abort());
    }
  } finally {
    await producer.disconnect();
  }
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

/**
 * Creates topics on the shared broker (one replica each) and returns their names once every partition has
 * a leader that serves it: rxkafka's own `createTopics()`, which every spec that creates topics exercises.
 */
export async function createTopics(
  topics: ReadonlyArray<{ topic: string; numPartitions?: number }>,
): Promise<string[]> {
  const { brokers } = await useTestBroker();
  await createRxKafkaTopics({
    // kafkajs's five retries, not createTopics()'s three: a busy shared broker may need them.
    client: { brokers: [...brokers], clientId: uniqueName('spec-admin'), retry: { retries: 5 } },
    topics: topics.map(({ topic, numPartitions = 1 }) => ({ topic, numPartitions, replicationFactor: 1 })),
    logger: process.env.KAFKAJS_LOG ? createStreamLogger('info') : silentLogger,
  });
  return topics.map(({ topic }) => topic);
}

/** Polls until every partition of `topics` has a leader that serves it (at most `timeoutMs`). */
export async function awaitLeaders(
  admin: Admin,
  topics: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await admin
      .fetchTopicMetadata({ topics: [...topics] })
      .then((metadata) =>
        metadata.topics.every(
          ({ partitions }) => partitions.length > 0 && partitions.every(({ leader }) => leader >= 0),
        ),
      )
      // The metadata names a leader before that broker serves the partition: until it does it answers
      // NOT_LEADER_OR_FOLLOWER, and kafkajs resends a whole produce request when one of its partitions
      // fails, so the others' records were written twice. Reading every partition's offsets waits for it.
      .then(async (led) => led && (await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic)))))
      .then(Boolean)
      .catch(() => false);
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`no leaders for ${topics.join(', ')} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
