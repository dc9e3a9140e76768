/**
 * The transactional producers of a processor: one per input partition (see
 * per-partition-transactional-id.ts for why), created and fenced at the partition's
 * first batch, created anew after a group join or a failure, disconnected when the partition leaves.
 */
import type { DriverTransactionalProducer, KafkaDriver } from '../kafka/kafka-driver';
import { toPerPartitionTransactionalId } from './per-partition-transactional-id';
import type { Logger } from '../logger';

interface Entry {
  readonly producer: DriverTransactionalProducer;
  /** A group join came after it was created: the partition may have had another owner meanwhile. */
  stale: boolean;
}

export class PartitionProducers {
  readonly #driver: KafkaDriver;
  readonly #prefix: string;
  readonly #librarySettings: unknown;
  readonly #logger: Logger;
  readonly #entries = new Map<string, Entry>();
  readonly #closing = new Set<Promise<void>>();

  constructor(driver: KafkaDriver, prefix: string, librarySettings: unknown, logger: Logger) {
    this.#driver = driver;
    this.#prefix = prefix;
    this.#librarySettings = librarySettings;
    this.#logger = logger;
  }

  /** Producers connected now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The partition's producer. `fresh` when it was created (connected and fenced) by this call: the caller
   * must then read the partition's committed offset again, since an older owner may have committed
   * between this member's offset fetch and the fence.
   */
  async acquire(
    topic: string,
    partition: number,
  ): Promise<{ producer: DriverTransactionalProducer; fresh: boolean }> {
    const key = `${topic}/${partition}`;
    const entry = this.#entries.get(key);
    if (entry && !entry.stale) return { producer: entry.producer, fresh: false };
    if (entry) await this.discard(topic, partition);
    const producer = this.#driver.createTransactionalProducer({
      transactionalId: toPerPartitionTransactionalId(this.#prefix, topic, partition),
      librarySettings: this.#librarySettings,
    });
    try {
      await producer.connect();
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
    this.#entries.set(key, { producer, stale: false });
    return { producer, fresh: true };
  }

  /** Disconnects the partition's producer (after a failure: the next batch creates and fences a new one). */
  async discard(topic: string, partition: number): Promise<void> {
    const key = `${topic}/${partition}`;
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    await this.#disconnect(entry.producer);
  }

  /**
   * After a group join: producers of partitions no longer assigned are disconnected, the others are made
   * anew at their next batch.
   */
  reassigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    for (const [key, entry] of this.#entries) {
      const at = key.lastIndexOf('/');
      const kept = assignment[key.slice(0, at)]?.includes(Number(key.slice(at + 1))) ?? false;
      if (kept) {
        entry.stale = true;
        continue;
      }
      this.#entries.delete(key);
      const closing = this.#disconnect(entry.producer);
      this.#closing.add(closing);
      void closing.finally(() => this.#closing.delete(closing));
    }
  }

  /** Disconnects every producer. */
  async closeAll(): Promise<void> {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all([...entries.map(({ producer }) => this.#disconnect(producer)), ...this.#closing]);
  }

  async #disconnect(producer: DriverTransactionalProducer): Promise<void> {
    await producer.disconnect().catch((error: unknown) =>
      this.#logger.warn(`could not disconnect the transactional producer ${producer.transactionalId}`, {
        error,
      }),
    );
  }
}
