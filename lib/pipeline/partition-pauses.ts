/**
 * The partitions of retry topics waiting for their next record's due time. A waiting partition is paused
 * in the consumer (not fetched, so neither polled in a loop nor held in memory) and resumed by one timer at
 * the due time; the driver then fetches it again from the record that waited.
 */
import type { Logger } from '../logger';

export interface PartitionPausesOptions {
  readonly pause: (topic: string, partition: number) => void;
  readonly resume: (topic: string, partition: number) => void;
  readonly logger: Logger;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

/** Where a paused partition stopped: the record not due yet, and the partition's end at that fetch. */
export interface HeldRecord {
  readonly offset: string;
  /** The partition's end offset when the batch that stopped at `offset` was fetched. */
  readonly highWatermark: string;
}

/** A partition paused now, until its head record is due. */
export interface PausedPartition {
  readonly topic: string;
  readonly partition: number;
  /** Epoch milliseconds when the partition resumes (its head record's due time). */
  readonly dueAtMs: number;
  /** The head record and the partition's end; absent when the pause was asked without them. */
  readonly held?: HeldRecord;
}

export class PartitionPauses {
  readonly #options: PartitionPausesOptions;
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #paused = new Map<string, PausedPartition>();

  constructor(options: PartitionPausesOptions) {
    this.#options = options;
  }

  /** Partitions paused now. */
  get waiting(): number {
    return this.#timers.size;
  }

  /** The partitions paused now, with their due times. */
  get paused(): readonly PausedPartition[] {
    return [...this.#paused.values()];
  }

  /** Pauses the partition until `dueAtMs`; a later call for the same partition replaces the earlier one. */
  pauseUntil(topic: string, partition: number, dueAtMs: number, held?: HeldRecord): void {
    const key = `${topic}/${partition}`;
    clearTimeout(this.#timers.get(key));
    this.#options.pause(topic, partition);
    const delayMs = Math.max(0, dueAtMs - (this.#options.now ?? Date.now)());
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.#paused.delete(key);
      try {
        this.#options.resume(topic, partition);
      } catch (error) {
        // The consumer stopped meanwhile (kafkajs refuses a resume then); its next run starts unpaused.
        this.#options.logger.debug(`could not resume ${key}`, { topic, partition, error });
      }
    }, delayMs);
    // A waiting retry must not keep a process alive that is otherwise done.
    timer.unref();
    this.#timers.set(key, timer);
    this.#paused.set(key, { topic, partition, dueAtMs, ...(held ? { held } : {}) });
  }

  /** Forgets every timer (the consumer stopped: its next run starts unpaused). */
  clear(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#paused.clear();
  }
}
