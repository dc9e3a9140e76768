import type { FetchedBatch } from '../kafka/fetched-batch';
import { toConnectionError } from './connection-events';
import type { PartitionActorRef } from './partition-machine';

/** A fetched batch as its partition actor follows it: the batch to hand on, and how it ended. */
export interface WatchedBatch {
  /** The same batch; resolving an offset also notes it as the finished prefix's end. */
  readonly batch: FetchedBatch;
  finished(): void;
  failed(error: unknown): void;
}

/**
 * Tells `actor` that `fetched` started, and gives the means to tell it how the batch ended, with the
 * finished prefix the runtime resolved: two events per batch, none per record.
 */
export function watchBatch(actor: PartitionActorRef, fetched: FetchedBatch, now = Date.now()): WatchedBatch {
  let lastResolved: string | undefined;
  const finishedOffset = () => (lastResolved === undefined ? undefined : String(BigInt(lastResolved) + 1n));
  actor.send({
    type: 'batch.started',
    records: fetched.batch.messages.length,
    highWatermark: fetched.batch.highWatermark,
    at: now,
  });
  return {
    batch: {
      batch: fetched.batch,
      resolveOffset: (offset) => {
        lastResolved = offset;
        fetched.resolveOffset(offset);
      },
      heartbeat: fetched.heartbeat,
      isRunning: fetched.isRunning,
      isStale: fetched.isStale,
      uncommittedOffsets: fetched.uncommittedOffsets,
      commitOffsetsIfNecessary: fetched.commitOffsetsIfNecessary,
    },
    finished: () => actor.send({ type: 'batch.finished', finishedOffset: finishedOffset() }),
    failed: (error) =>
      actor.send({ type: 'batch.failed', finishedOffset: finishedOffset(), error: toConnectionError(error) }),
  };
}
