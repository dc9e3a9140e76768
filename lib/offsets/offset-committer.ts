import type { FetchedBatch, TopicPartitionOffsets } from '../kafka/fetched-batch';
import type { Logger } from '../logger';

/** The two kafkajs batch functions a commit needs; both act on the consumer group as it is now. */
type CommitSource = Pick<FetchedBatch, 'uncommittedOffsets' | 'commitOffsetsIfNecessary'>;

export interface OffsetCommitterOptions {
  readonly logger: Logger;
  /** Names the consumer in logs. */
  readonly clientId: string;
  /**
   * Least time between two background commits, from the `run.autoCommitInterval` option (unlike kafkajs,
   * where the interval does not delay the commit at the end of each batch). @defaultValue 0
   */
  readonly minIntervalMs?: number;
  /** Wait before retrying a background commit that failed. @defaultValue 1000 */
  readonly retryDelayMs?: number;
  /**
   * The highest offset a commit of the partition may carry now, when something below the consumer's
   * resolved offset is unfinished (see BatchRunner's `commitFloor()`); undefined when nothing is.
   */
  readonly floorOf?: (topic: string, partition: number) => string | undefined;
}

const MAX_TIMED_RETRIES = 5;

/**
 * Commits resolved offsets off the fetch path. kafkajs's own auto-commit sends an OffsetCommit after every
 * batch and fetches nothing until Kafka answers; Kafka 4's group coordinator lingers up to 5 ms before it
 * writes a commit, so that wait bounds every partition's batch rate and adds to every request's latency.
 * Here a batch only asks for a commit: at most one OffsetCommit is in flight, the asks made meanwhile
 * leave together in the next one, and consumption goes on (kafkajs fetches on a connection of its own, so
 * a commit in flight never holds a fetch up).
 *
 * Only what kafkajs holds as resolved is committed, and the batch runner resolves an offset only once its
 * record is finished and acknowledged and before its batch returns, so this changes when a commit happens,
 * not what it may contain. Where a late commit would redeliver finished work, the connection commits and
 * waits first: at close(), and when a batch fails (a failed heartbeat is how a rebalance shows) before
 * kafkajs rejoins. A crash commits nothing more: kafkajs has left the group by then.
 */
export class OffsetCommitter {
  readonly #options: OffsetCommitterOptions;
  readonly #minIntervalMs: number;
  #source: CommitSource | undefined;
  /** The commit loop while it runs; it runs as long as asks keep arriving. */
  #running: Promise<void> | undefined;
  #asked = false;
  #lastCommitAt = 0;
  /** Waits out minIntervalMs before the next background commit. */
  #timer: NodeJS.Timeout | undefined;
  /** Retries a failed commit when no batch asks for one sooner. */
  #retryTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  /** The last commit a floor held back, by `topic/partition`: sent once, not again with every ask. */
  readonly #heldBack = new Map<string, string>();

  constructor(options: OffsetCommitterOptions) {
    this.#options = options;
    this.#minIntervalMs = options.minIntervalMs ?? 0;
  }

  /** Commits go through the consumer group of the latest batch (after a restart, the new one). */
  track(source: CommitSource): void {
    this.#source = source;
  }

  /** Asks for a commit of everything resolved so far; returns at once. */
  request(): void {
    this.#asked = true;
    this.#clearRetry();
    if (this.#running || this.#timer) return;
    const wait = this.#lastCommitAt + this.#minIntervalMs - Date.now();
    if (wait > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#start();
      }, wait);
      this.#timer.unref();
      return;
    }
    this.#start();
  }

  /**
   * Commits everything resolved so far and waits for it. A failure is logged, not thrown. When a commit
   * already in flight fails, the loop ends before this ask is served, so it gets one attempt of its own.
   */
  async flush(): Promise<void> {
    this.#clearTimer();
    this.#clearRetry();
    this.#asked = true;
    await this.#start();
    if (this.#asked) await this.#start();
  }

  /** Drops pending timers (the consumer is gone). */
  stop(): void {
    this.#clearTimer();
    this.#clearRetry();
    this.#asked = false;
  }

  /**
   * Forgets the consumer group to commit through, until the next batch brings one: after a crash kafkajs
   * has left the group, and a commit through it would only reconnect a disconnected client.
   */
  detach(): void {
    this.stop();
    this.#heldBack.clear();
    this.#source = undefined;
  }

  #start(): Promise<void> {
    if (!this.#running) this.#running = this.#loop();
    return this.#running;
  }

  async #loop(): Promise<void> {
    // Yield first, so #start has recorded this loop before it can end.
    await null;
    try {
      while (this.#asked) {
        this.#asked = false;
        try {
          await this.#commitOnce();
          this.#failures = 0;
        } catch (error) {
          this.#failures += 1;
          this.#options.logger.warn(
            `consumer ${this.#options.clientId}: committing offsets failed; they stay resolved and are committed with the next commit`,
            { error, failures: this.#failures },
          );
          this.#retryLater();
          return;
        }
      }
    } finally {
      // In the same step as the last check of #asked: an ask arriving later starts a new loop.
      this.#running = undefined;
    }
  }

  async #commitOnce(): Promise<void> {
    const source = this.#source;
    if (!source) return;
    const heldBack = new Map<string, string>();
    const offsets = this.#applyFloors(source.uncommittedOffsets(), heldBack);
    if (offsets.topics.length === 0) return;
    this.#lastCommitAt = Date.now();
    await source.commitOffsetsIfNecessary(offsets);
    for (const [key, floor] of heldBack) this.#heldBack.set(key, floor);
  }

  /**
   * Lowers each partition's offset to its floor, where one is below it: kafkajs's resolved offset is its
   * fetch position, which may run past records whose replies are still due.
   */
  #applyFloors(offsets: TopicPartitionOffsets, heldBack: Map<string, string>): TopicPartitionOffsets {
    const floorOf = this.#options.floorOf;
    if (!floorOf) return offsets;
    const topics = offsets.topics
      .map(({ topic, partitions }) => ({
        topic,
        partitions: partitions.flatMap(({ partition, offset }) => {
          const key = `${topic}/${partition}`;
          const floor = floorOf(topic, partition);
          if (floor === undefined || BigInt(floor) >= BigInt(offset)) {
            this.#heldBack.delete(key);
            return [{ partition, offset }];
          }
          // kafkajs still counts the partition as uncommitted: commit its floor once, until it moves.
          if (this.#heldBack.get(key) === floor) return [];
          heldBack.set(key, floor);
          return [{ partition, offset: floor }];
        }),
      }))
      .filter(({ partitions }) => partitions.length > 0);
    return { topics };
  }

  // Without a retry, offsets resolved just before a quiet spell would wait for the next batch to be committed.
  // A few retries only: a consumer that keeps failing (fenced, gone) is retried by its next batch or flush().
  #retryLater(): void {
    if (this.#retryTimer || this.#failures > MAX_TIMED_RETRIES) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#asked = true;
      void this.#start();
    }, this.#options.retryDelayMs ?? 1_000);
    this.#retryTimer.unref();
  }

  #clearRetry(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
