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
   * resolved offset is unfinished (see CommitHolds' `floorOf()`); undefined when nothing is.
   */
  readonly floorOf?: (topic: string, partition: number) => string | undefined;
}

const MAX_TIMED_RETRIES = 5;

/**
 * Where the commit loop stands, as one value rather than flags and timers a reader must put together:
 * - `idle`: no commit in flight, nothing waiting;
 * - `waiting`: a timer runs before the next commit, to keep `minIntervalMs` between background commits
 *   (`interval`) or to retry a failed one (`retry`);
 * - `committing`: one OffsetCommit in flight; `again` records asks made meanwhile, which leave together in
 *   the next commit; `done` resolves when the loop ends (with true when it failed before serving them).
 */
type CommitLoopState = Idle | Waiting | Committing;
interface Idle {
  readonly name: 'idle';
}
interface Waiting {
  readonly name: 'waiting';
  readonly reason: 'interval' | 'retry';
  readonly timer: NodeJS.Timeout;
}
interface Committing {
  readonly name: 'committing';
  again: boolean;
  done: Promise<boolean>;
}
const IDLE: Idle = { name: 'idle' };

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
  /** Where the commit loop stands (see CommitLoopState); every change of it is one assignment. */
  #state: CommitLoopState = IDLE;
  #lastCommitAt = 0;
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
    const state = this.#state;
    if (state.name === 'committing') {
      state.again = true;
      return;
    }
    // The commit the interval waits for will carry this ask too.
    if (state.name === 'waiting' && state.reason === 'interval') return;
    // Idle, or waiting to retry a failed commit: an ask is served sooner than the retry would be.
    const wait = this.#lastCommitAt + this.#minIntervalMs - Date.now();
    if (wait > 0) this.#wait('interval', wait);
    else void this.#commit();
  }

  /**
   * Commits everything resolved so far and waits for it. A failure is logged, not thrown. When a commit
   * already in flight fails, the loop ends before this ask is served, so it gets one attempt of its own.
   */
  async flush(): Promise<void> {
    if (await this.#commit()) await this.#commit();
  }

  /** Drops the pending wait and asks (the consumer is gone); a commit in flight still ends on its own. */
  stop(): void {
    const state = this.#state;
    if (state.name === 'waiting') {
      clearTimeout(state.timer);
      this.#state = IDLE;
    }
    if (state.name === 'committing') state.again = false;
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

  /**
   * Starts the commit loop, or, when one runs, asks it for one more commit. Resolves with true when the loop
   * ended on a failure before it served the asks made during its last commit.
   */
  #commit(): Promise<boolean> {
    const state = this.#state;
    if (state.name === 'committing') {
      state.again = true;
      return state.done;
    }
    if (state.name === 'waiting') clearTimeout(state.timer);
    const committing: Committing = { name: 'committing', again: false, done: Promise.resolve(false) };
    this.#state = committing;
    committing.done = this.#loop(committing);
    return committing.done;
  }

  async #loop(committing: Committing): Promise<boolean> {
    // Yield first: offsets resolved later in this same turn (the rest of a batch) leave in this commit.
    await null;
    do {
      committing.again = false;
      try {
        await this.#commitOnce();
        this.#failures = 0;
      } catch (error) {
        this.#failures += 1;
        this.#options.logger.warn(
          `consumer ${this.#options.clientId}: committing offsets failed; they stay resolved and are committed with the next commit`,
          { error, failures: this.#failures },
        );
        if (this.#state === committing) this.#state = IDLE;
        this.#retryLater();
        return committing.again;
      }
    } while (committing.again);
    // In the same step as the last check of `again`: an ask arriving later starts a new loop.
    if (this.#state === committing) this.#state = IDLE;
    return false;
  }

  #wait(reason: Waiting['reason'], ms: number): void {
    const state = this.#state;
    if (state.name === 'waiting') clearTimeout(state.timer);
    const timer = setTimeout(() => {
      this.#state = IDLE;
      void this.#commit();
    }, ms);
    timer.unref();
    this.#state = { name: 'waiting', reason, timer };
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
    if (this.#state.name !== 'idle' || this.#failures > MAX_TIMED_RETRIES) return;
    this.#wait('retry', this.#options.retryDelayMs ?? 1_000);
  }
}
