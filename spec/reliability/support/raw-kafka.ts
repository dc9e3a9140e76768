/**
 * Plain kafkajs access for the reliability specs: they produce hostile records and read what the server
 * wrote (replies, dead letters) without going through rxkafka.
 */
import { Kafka, logLevel, type ITopicConfig, type KafkaConfig, type KafkaMessage } from 'kafkajs';
import { awaitLeaders, uniqueName } from '../../support/kafka-fixtures';

/** A record read back, with where it was found. */
export interface ReadRecord {
  readonly partition: number;
  readonly message: KafkaMessage;
}

/** A kafkajs client on `brokers`, quiet unless KAFKAJS_LOG is set. */
export function createRawKafka(brokers: readonly string[], config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: uniqueName('raw'),
    brokers: [...brokers],
    logLevel: process.env.KAFKAJS_LOG ? logLevel.INFO : logLevel.NOTHING,
    ...config,
  });
}

/** Creates topics on `brokers` and waits until their leaders serve them (see awaitLeaders). */
export async function createTopicsOn(brokers: readonly string[], topics: ITopicConfig[]): Promise<void> {
  const admin = createRawKafka(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: false, topics });
    await awaitLeaders(
      admin,
      topics.map(({ topic }) => topic),
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads `topic` from the beginning with a fresh group until `isEnough(records)` holds, then returns every
 * record read. Rejects when `timeoutMs` passes first, saying how many records it had.
 */
export async function readTopic(
  brokers: readonly string[],
  topic: string,
  isEnough: (records: readonly ReadRecord[]) => boolean,
  timeoutMs = 30_000,
): Promise<ReadRecord[]> {
  const consumer = createRawKafka(brokers).consumer({ groupId: uniqueName('reader') });
  const records: ReadRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${records.length} records of ${topic} in ${timeoutMs} ms: not enough`)),
        timeoutMs,
      );
      const check = (): void => {
        if (!isEnough(records)) return;
        clearTimeout(timer);
        resolve();
      };
      check();
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          records.push({ partition, message });
          check();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** A header's text (kafkajs gives Buffers, or arrays of them for repeated headers). */
export function headerText(message: KafkaMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
