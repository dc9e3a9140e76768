/**
 * The transactional producers of a processor: one per input partition (see
 * per-partition-transactional-id.ts for why), created and fenced at the partition's
 * first batch, created anew after a group join or a failure, disconnected when the partition leaves.
 *
 * A batch holds its partition's producer from `acquire()` to `release()`. A partition that leaves while its
 * batch still runs keeps its producer until that batch lets it go: a client that rejoins without waiting for
 * its batches (the platformatic driver) would otherwise lose the producer mid-transaction, and the batch would
 * wait out the library's retries on a closed connection (about 35 s a step) while the member's other
 * partitions wait for it. Kept, the transaction commits before the partition's next owner fences it, or
 * fails at once as fenced.
 */
import type { DriverTransactionalProducer, KafkaDriver } from '../kafka/kafka-driver';
import { toPerPartitionTransactionalId } from './per-partition-transactional-id';
import type { Logger } from '../logger';

interface Entry {
  readonly producer: DriverTransactionalProducer;
  /** A group join came after it was created: the partition may have had another owner meanwhile. */
  stale: boolean;
  /** The batches holding it (acquired, not released). */
  holders: number;
  /** The partition left while a batch held it: disconnected at its last release. */
  revoked: boolean;
}

/** A partition's producer, held by one batch until `release()`. */
export interface AcquiredProducer {
  readonly producer: DriverTransactionalProducer;
  /** Created (connected and fenced) by this acquire. */
  readonly fresh: boolean;
  /** The batch is done with it. */
  readonly release: () => void;
}

export class PartitionProducers {
  readonly #driver: KafkaDriver;
  readonly #prefix: string;
  readonly #librarySettings: unknown;
  readonly #logger: Logger;
  readonly #entries = new Map<string, Entry>();
  readonly #closing = new Set<Promise<void>>();
  /** Producers of partitions that left while a batch held them. */
  readonly #revokedHeld = new Set<Entry>();

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
  async acquire(topic: string, partition: number): Promise<AcquiredProducer> {
    const key = `${topic}/${partition}`;
    const entry = this.#entries.get(key);
    if (entry && !entry.stale) return this.#hold(entry, false);
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
    const created: Entry = { producer, stale: false, holders: 0, revoked: false };
    this.#entries.set(key, created);
    return this.#hold(created, true);
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
      if (entry.holders > 0) {
        entry.revoked = true;
        this.#revokedHeld.add(entry);
      } else this.#disconnectInBackground(entry.producer);
    }
  }

  /** Disconnects every producer (the batches are over: a close waits for them first). */
  async closeAll(): Promise<void> {
    const entries = [...this.#entries.values(), ...this.#revokedHeld];
    this.#entries.clear();
    this.#revokedHeld.clear();
    await Promise.all([...entries.map(({ producer }) => this.#disconnect(producer)), ...this.#closing]);
  }

  #hold(entry: Entry, fresh: boolean): AcquiredProducer {
    entry.holders += 1;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      entry.holders -= 1;
      if (entry.holders > 0 || !entry.revoked || !this.#revokedHeld.delete(entry)) return;
      this.#disconnectInBackground(entry.producer);
    };
    return { producer: entry.producer, fresh, release };
  }

  #disconnectInBackground(producer: DriverTransactionalProducer): void {
    const closing = this.#disconnect(producer);
    this.#closing.add(closing);
    void closing.finally(() => this.#closing.delete(closing));
  }

  async #disconnect(producer: DriverTransactionalProducer): Promise<void> {
    await producer.disconnect().catch((error: unknown) =>
      this.#logger.warn(`could not disconnect the transactional producer ${producer.transactionalId}`, {
        error,
      }),
    );
  }
}
