/**
 * The partition actor's state machine: what one assigned partition is doing, with no I/O. The connection
 * actor spawns one per partition of its assignment and stops it when the partition goes away; the
 * connection's adapter reports each fetched batch to it, at the batch's start and end (never per record, so
 * a partition actor costs two events per batch), and each commit.
 *
 * There is no `paused` state: backpressure holds the batch (kafkajs fetches a partition again only once its
 * batch returns, and a batch runs at most `maxInFlightPerPartition` records at once), so a partition under
 * backpressure shows as `processing` with its oldest in-flight record ageing.
 */
import { assign, setup, type ActorRefFrom, type SnapshotFrom } from 'xstate';

export interface PartitionContext {
  readonly topic: string;
  readonly partition: number;
  /** Records of the running batch not finished yet; 0 when idle. */
  readonly inFlight: number;
  /** The next offset after the finished prefix ("the next offset to read" once committed). */
  readonly finishedOffset?: string;
  /** The last offset committed for this partition (the next to read), as Kafka stores it. */
  readonly committedOffset?: string;
  /** The partition's end offset when the last batch was fetched: lag is this − committedOffset. */
  readonly highWatermark?: string;
  /** Epoch ms when the oldest record still in flight arrived; undefined when none is. */
  readonly oldestInFlightSince?: number;
  /** Batches handed over since the actor started. */
  readonly batches: number;
  readonly lastError?: { readonly name: string; readonly message: string };
}

export interface PartitionInput {
  readonly topic: string;
  readonly partition: number;
  /** What an earlier actor of the same partition saw committed (a partition kept across a rebalance). */
  readonly committedOffset?: string;
}

export type PartitionEvent =
  | {
      readonly type: 'batch.started';
      readonly records: number;
      readonly highWatermark: string;
      readonly at: number;
    }
  | { readonly type: 'batch.finished'; readonly finishedOffset?: string }
  | {
      readonly type: 'batch.failed';
      readonly finishedOffset?: string;
      readonly error: { name: string; message: string };
    }
  | { readonly type: 'offsets.committed'; readonly offset: string }
  | { readonly type: 'partition.revoking' };

/** The id of the partition actor of `topic`/`partition` among the connection actor's children. */
export function toPartitionActorId(topic: string, partition: number): string {
  return `partition:${topic}/${partition}`;
}

export const partitionMachine = setup({
  types: {
    context: {} as PartitionContext,
    events: {} as PartitionEvent,
    input: {} as PartitionInput,
  },
  actions: {
    startBatch: assign(({ event }) =>
      event.type === 'batch.started'
        ? { inFlight: event.records, highWatermark: event.highWatermark, oldestInFlightSince: event.at }
        : {},
    ),
    finishBatch: assign(({ context, event }) =>
      event.type === 'batch.finished' || event.type === 'batch.failed'
        ? {
            inFlight: 0,
            oldestInFlightSince: undefined,
            batches: context.batches + 1,
            finishedOffset: event.finishedOffset ?? context.finishedOffset,
            ...(event.type === 'batch.failed' ? { lastError: event.error } : {}),
          }
        : {},
    ),
    storeCommitted: assign({
      committedOffset: ({ context, event }) =>
        event.type === 'offsets.committed' ? event.offset : context.committedOffset,
    }),
  },
}).createMachine({
  id: 'partition',
  context: ({ input }) => ({
    topic: input.topic,
    partition: input.partition,
    inFlight: 0,
    batches: 0,
    ...(input.committedOffset === undefined ? {} : { committedOffset: input.committedOffset }),
  }),
  initial: 'idle',
  on: {
    'offsets.committed': { actions: 'storeCommitted' },
  },
  states: {
    idle: {
      description: 'Assigned, with no batch running: waiting for the next fetch.',
      on: {
        'batch.started': { target: 'processing', actions: 'startBatch' },
        'partition.revoking': { target: 'revoked' },
      },
    },
    processing: {
      description:
        'A fetched batch is being handled: inFlight records, the oldest since oldestInFlightSince.',
      on: {
        'batch.finished': { target: 'idle', actions: 'finishBatch' },
        'batch.failed': { target: 'idle', actions: 'finishBatch' },
        'partition.revoking': { target: 'revoking' },
      },
    },
    revoking: {
      description:
        'A rebalance takes the partition while its batch runs: the batch stops dispatching, finishes (or ' +
        'abandons) what is in flight, and what finished is committed before the member rejoins.',
      on: {
        'batch.finished': { target: 'revoked', actions: 'finishBatch' },
        'batch.failed': { target: 'revoked', actions: 'finishBatch' },
      },
    },
    revoked: {
      description:
        'Given up in a rebalance; the connection stops this actor (or starts a new one) on the next join.',
      type: 'final',
    },
  },
});

export type PartitionMachine = typeof partitionMachine;
export type PartitionActorRef = ActorRefFrom<PartitionMachine>;
export type PartitionSnapshot = SnapshotFrom<PartitionMachine>;
