import type { FetchedBatch, TopicPartitionOffsets } from '../kafka/fetched-batch';
import type { Logger } from '../logger';
import { CommitHolds } from './commit-holds';
import { OffsetCommitter } from './offset-committer';
import { PartitionProgressBook } from './partition-progress';

export interface ConsumerOffsetsOptions {
  readonly logger: Logger;
  /** Names the consumer in logs. */
  readonly clientId: string;
  /**
   * False when the application commits itself (`run.autoCommit: false`, as in kafkajs): then nothing here
   * commits, and commits are only recorded. @defaultValue true
   */
  readonly autoCommit?: boolean;
  /** Least time between two background commits (`run.autoCommitInterval`). @defaultValue 0 */
  readonly minCommitIntervalMs?: number;
  /** A progress book the batch handler already reports to. @defaultValue a book of its own */
  readonly progress?: PartitionProgressBook;
}

/** A partition's last commit: "the next offset to read", as Kafka stores it. */
export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * The one owner of a consumer's offsets (kafkajs keeps the same in its `offsetManager/`): where each
 * partition's records stand (`progress`, which the partition actors and metrics read), what a commit may
 * carry (`holds`, the floors of returned batches whose replies are still due), the commits themselves (an
 * OffsetCommitter, off the fetch path) and what they committed. The connection tells it of batches and of
 * the commits the driver reports; a batch runner marks records finished through a BatchProgress and moves
 * the holds; nobody else keeps a copy.
 */
export class ConsumerOffsets {
  /** Each partition's records: in flight, finished, committed, lag. */
  readonly progress: PartitionProgressBook;
  /** What commits may not pass while replies of returned batches are due. */
  readonly holds = new CommitHolds();
  readonly #committer: OffsetCommitter | undefined;
  /** Each partition's last commit over the consumer's life, revoked partitions included (the drain report). */
  readonly #committed = new Map<string, CommittedOffset>();

  constructor(options: ConsumerOffsetsOptions) {
    this.progress = options.progress ?? new PartitionProgressBook();
    const holds = this.holds;
    this.#committer =
      options.autoCommit === false
        ? undefined
        : new OffsetCommitter({
            logger: options.logger,
            clientId: options.clientId,
            minIntervalMs: options.minCommitIntervalMs,
            floorOf: (topic, partition) => holds.floorOf(topic, partition),
          });
  }

  /** The last offset committed for each partition, in the order they were first committed. */
  get committed(): readonly CommittedOffset[] {
    return [...this.#committed.values()];
  }

  /** The driver handed a batch over: it is in flight, and commits go through its consumer group. */
  batchStarted(payload: FetchedBatch): void {
    const { topic, partition, messages, highWatermark } = payload.batch;
    this.progress.batchStarted(topic, partition, messages.length, highWatermark);
    this.#committer?.track(payload);
  }

  /** The batch returned: ask for a commit of what it finished, without waiting. */
  batchEnded(payload: FetchedBatch): void {
    this.progress.batchEnded(payload.batch.topic, payload.batch.partition);
    this.#committer?.request();
  }

  /**
   * The batch failed (a rebalance shows this way): commit what it finished and wait, as kafkajs's own
   * auto-commit does before it rethrows, since the driver rejoins or refetches next.
   */
  async batchFailed(payload: FetchedBatch, error: unknown): Promise<void> {
    this.progress.batchEnded(payload.batch.topic, payload.batch.partition, error);
    await this.#committer?.flush();
  }

  /** Asks for a background commit of everything resolved so far; returns at once. */
  requestCommit(): void {
    this.#committer?.request();
  }

  /** Commits everything resolved so far and waits (a failure is logged, not thrown). */
  flush(): Promise<void> {
    return this.#committer?.flush() ?? Promise.resolve();
  }

  /** Kafka took a commit (reported by the driver, whoever asked for it). */
  recordCommitted(offsets: TopicPartitionOffsets): void {
    for (const { topic, partitions } of offsets.topics) {
      for (const { partition, offset } of partitions) {
        this.progress.committed(topic, partition, offset);
        this.#committed.set(`${topic}/${partition}`, { topic, partition, offset });
      }
    }
  }

  /**
   * A new group generation: the consumer fetches every partition it owns from the committed offset again,
   * so the holds of returned batches are void.
   */
  regroup(): void {
    this.holds.clear();
  }

  /**
   * Forgets the consumer group to commit through until the next batch brings one: the consumer has left
   * it (a crash, or a drain that committed already).
   */
  detach(): void {
    this.#committer?.detach();
  }

  /** Drops pending commit timers (the consumer is gone). */
  stop(): void {
    this.#committer?.stop();
  }
}
