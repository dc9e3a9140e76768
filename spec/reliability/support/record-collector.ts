import type { Consumer, KafkaMessage } from 'kafkajs';
import { uniqueName } from '../../support/kafka-fixtures';
import { eventually } from './eventually';
import { createRawKafka } from './raw-kafka';

/** A record the collector read, with where it was found. */
export interface CollectedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
}

/**
 * A plain kafkajs consumer that keeps every record of some topics from their beginning, so a spec can wait
 * for what the server wrote there (replies, dead letters) without a group join per question.
 */
export class RecordCollector {
  readonly records: CollectedRecord[] = [];
  readonly #consumer: Consumer;
  readonly #topics: readonly string[];

  private constructor(brokers: readonly string[], topics: readonly string[]) {
    this.#consumer = createRawKafka(brokers).consumer({ groupId: uniqueName('collector') });
    this.#topics = topics;
  }

  /** Starts collecting `topics` on `brokers`; resolves once the consumer has its partitions. */
  static async start(brokers: readonly string[], topics: readonly string[]): Promise<RecordCollector> {
    const collector = new RecordCollector(brokers, topics);
    await collector.#run();
    return collector;
  }

  /** The records of `topic` read so far. */
  of(topic: string): CollectedRecord[] {
    return this.records.filter((record) => record.topic === topic);
  }

  /** Resolves with the first record of `topic` matching `predicate`, waiting for it up to `timeoutMs`. */
  async waitFor(
    topic: string,
    predicate: (record: CollectedRecord) => boolean,
    what: string,
    timeoutMs = 30_000,
  ): Promise<CollectedRecord> {
    let found: CollectedRecord | undefined;
    await eventually(
      () => (found = this.of(topic).find(predicate)) !== undefined,
      what,
      timeoutMs,
      () => `${this.of(topic).length} records on ${topic}`,
    );
    return found!;
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }

  async #run(): Promise<void> {
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topics: [...this.#topics], fromBeginning: true });
    const joined = new Promise<void>((resolve) => {
      const remove = this.#consumer.on(this.#consumer.events.GROUP_JOIN, () => {
        remove();
        resolve();
      });
    });
    await this.#consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        this.records.push({ topic, partition, message });
      },
    });
    await joined;
  }
}
