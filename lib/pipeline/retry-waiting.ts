/**
 * How many records wait on each retry topic, and when the oldest is due, read from the paused retry
 * partitions: a paused partition holds back its head record (not due yet) and every record after it, up to
 * the partition's end offset at the fetch that found the head. Cheap (no broker call, nothing per record)
 * and honest about its limit: records written to a retry topic after that fetch are counted once the
 * partition is fetched again, and a partition not paused (its head was due) counts none.
 */
import type { HeldRecord, PausedPartition } from './partition-pauses';
import type { RetryTopicRoutes } from './retry-topic-routes';

/** One paused partition of a retry topic. */
export interface RetryWaitingPartition {
  readonly partition: number;
  /** Records held back: from the head record to the partition's end at its last fetch. */
  readonly waiting: number;
  /** The head record's offset (the next one the partition runs); absent when the pause did not name it. */
  readonly offset?: string;
  /** Epoch milliseconds when the head record is due (its `RetryHeaders.DUE_AT`). */
  readonly dueAt: number;
}

/** One retry topic's records waiting for their due time. */
export interface RetryWaiting {
  /** The retry topic. */
  readonly topic: string;
  /** The handlers' own topic its records came from. */
  readonly source: string;
  /** Records waiting in its paused partitions; 0 when none is paused. */
  readonly waiting: number;
  /** Epoch milliseconds when the oldest waiting record is due; absent when none waits. */
  readonly oldestDueAt?: number;
  /** Its paused partitions, by partition number. */
  readonly partitions: readonly RetryWaitingPartition[];
}

/** Every retry topic of `routes` (in their order), with what waits on it in `paused`. */
export function toRetryWaiting(
  routes: Pick<RetryTopicRoutes, 'topics' | 'stagesOf'>,
  paused: readonly PausedPartition[],
): RetryWaiting[] {
  return routes.topics.map((topic) => {
    const source = routes.stagesOf(topic)?.[0]?.plan.source ?? topic;
    const partitions = paused
      .filter((pause) => pause.topic === topic)
      .map(toWaitingPartition)
      .sort((a, b) => a.partition - b.partition);
    if (partitions.length === 0) return { topic, source, waiting: 0, partitions };
    return {
      topic,
      source,
      waiting: partitions.reduce((sum, { waiting }) => sum + waiting, 0),
      oldestDueAt: Math.min(...partitions.map(({ dueAt }) => dueAt)),
      partitions,
    };
  });
}

/** Records a pause holds back: its head record and every one after it up to the end at that fetch. */
export function countHeld(held: HeldRecord): number {
  // The head itself is there even when a stale end offset says otherwise.
  return Math.max(1, Number(BigInt(held.highWatermark) - BigInt(held.offset)));
}

function toWaitingPartition({ partition, dueAtMs, held }: PausedPartition): RetryWaitingPartition {
  // A pause asked without its record holds at least that one record.
  const waiting = held ? countHeld(held) : 1;
  return { partition, waiting, ...(held ? { offset: held.offset } : {}), dueAt: dueAtMs };
}
