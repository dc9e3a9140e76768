/**
 * The parent's topics: fresh, uniquely named ones for every scenario × implementation × repetition
 * (the broker auto-creates nothing), deleted after the run so a full run does not fill the disk.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';

export class TopicAdmin {
  readonly #admin: Admin;

  private constructor(admin: Admin) {
    this.#admin = admin;
  }

  /** Connects an admin client to `brokers`. */
  static async connect(brokers: readonly string[]): Promise<TopicAdmin> {
    const admin = new Kafka({
      clientId: 'bench-admin',
      brokers: [...brokers],
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    return new TopicAdmin(admin);
  }

  /**
   * Creates the topics and waits until every partition has a leader in the metadata. kafkajs's own
   * `waitForLeaders` gives up on the transient "does not host this topic-partition" of a busy broker.
   */
  async create(topics: ReadonlyArray<{ topic: string; partitions: number }>): Promise<void> {
    // kafkajs's own wait for leaders fails on the first UNKNOWN_TOPIC_OR_PARTITION a busy broker answers
    // for a topic it just created (seen in (s) after a run with hostile records); the poll below retries it.
    await this.#admin.createTopics({
      waitForLeaders: false,
      topics: topics.map(({ topic, partitions }) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
      })),
    });
    await poll(`leaders for ${topics.map(({ topic }) => topic).join(', ')}`, async () => {
      const { topics: described } = await this.#admin.fetchTopicMetadata({
        topics: topics.map(({ topic }) => topic),
      });
      const led = described.every(
        (topic) =>
          topic.partitions.length === topics.find((t) => t.topic === topic.name)?.partitions &&
          topic.partitions.every((partition) => partition.leader >= 0),
      );
      if (!led) return false;
      // A KRaft broker may list a leader before the partition answers offset requests; ask it directly.
      for (const { topic } of topics) await this.#admin.fetchTopicOffsets(topic);
      return true;
    });
  }

  /**
   * Makes the broker create its group coordinator (the `__consumer_offsets` topic) before the first run,
   * so no run pays for it or logs "group coordinator is not available".
   */
  async prepareGroupCoordinator(): Promise<void> {
    await poll('the group coordinator', async () => {
      await this.#admin.describeGroups(['bench-coordinator-warm-up']);
      return true;
    });
  }

  /** Deletes the topics; a failure is reported, not thrown (the next run uses new names anyway). */
  async delete(topics: readonly string[]): Promise<void> {
    await this.#admin.deleteTopics({ topics: [...topics] }).catch((error: unknown) => {
      console.error(`[bench] could not delete ${topics.join(', ')}: ${String(error)}`);
    });
  }

  async close(): Promise<void> {
    await this.#admin.disconnect();
  }
}

/** A topic name unique to this run: `bench-<parts>-<8 hex>`. */
export function toUniqueTopic(...parts: ReadonlyArray<string | number>): string {
  return `bench-${parts.join('-')}-${randomBytes(4).toString('hex')}`;
}

async function poll(what: string, isDone: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await isDone()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
  );
}
