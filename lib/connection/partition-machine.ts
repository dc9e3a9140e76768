/**
 * A partition actor: one per partition a connection consumes, spawned by the connection actor when a join
 * assigns the partition and stopped when it is revoked. It is cheap by construction: it never hears of a
 * record or a batch. Its `processing`/`idle` state and its figures come from a sample of the partition's
 * progress (lib/offsets/partition-progress.ts) that the connection sends when something changed, at most
 * once per sampling interval; `revoking` and `revoked` follow the group's events as they happen.
 *
 * Under KIP-848 (`groupProtocol: 'consumer'`) the group takes single partitions away while the member keeps
 * the others: the actor is told `partition.releasing`, waits in `releasing` until a sample shows nothing of
 * it in flight, and tells its connection `partition.released` (which commits and stops it).
 *
 * Backpressure is not a state: kafkajs fetches a partition again only once its batch returned, so a
 * partition whose handlers are behind is `processing`, and nothing is buffered beyond the fetched batch.
 * `paused` is an operator's pause (KafkaConnection.command): the consumer does not fetch the partition until
 * an operator resumes it; records in flight finish. The pause outlives a rebalance that keeps the partition
 * here (the consumer keeps it too), and ends with the actor when the partition leaves.
 */
import { assign, sendParent, setup, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import type { PartitionProgressSample } from '../offsets/partition-progress';
import type { PartitionReleasedEvent } from './connection-events';

export interface PartitionContext extends Omit<PartitionProgressSample, 'batches' | 'inFlightSince'> {
  readonly topic: string;
  readonly partition: number;
  /** How long the oldest record in flight had been in flight at the last sample; absent when none was. */
  readonly oldestInFlightMs?: number;
  /** Epoch milliseconds of the last sample. */
  readonly sampledAt?: number;
  /** Who paused the partition, while an operator's pause holds it. */
  readonly pausedBy?: string;
  /** Epoch milliseconds of that pause. */
  readonly pausedAt?: number;
}

export interface PartitionInput {
  readonly topic: string;
  readonly partition: number;
}

/** What a partition actor hears. */
export type PartitionEvent =
  | { readonly type: 'partition.sampled'; readonly progress: PartitionProgressSample; readonly at: number }
  /** A rebalance began: the partition may be taken away, and its in-flight records finish or are cut off. */
  | { readonly type: 'partition.revoking' }
  /** The join after the rebalance kept the partition here. */
  | { readonly type: 'partition.kept' }
  /**
   * KIP-848: the group gave the partition to another member while this one keeps the others; its records in
   * flight finish before it is released.
   */
  | { readonly type: 'partition.releasing' }
  /** The partition is gone: the join gave it to another member, the consumer crashed, or close() ended. */
  | { readonly type: 'partition.revoked' }
  /** An operator paused the partition (the connection stopped fetching it) or resumed it. */
  | { readonly type: 'operator.pause' | 'operator.resume'; readonly by: string; readonly at: number };

/** The states of a partition actor. */
export type PartitionStateValue =
  'idle' | 'processing' | 'paused' | 'revoking' | 'releasing' | 'released' | 'revoked';

export const partitionMachine = setup({
  types: {
    context: {} as PartitionContext,
    events: {} as PartitionEvent,
    input: {} as PartitionInput,
  },
  guards: {
    hasInFlight: ({ event }) => event.type === 'partition.sampled' && event.progress.inFlight > 0,
    hadInFlight: ({ context }) => context.inFlight > 0,
    isOperatorPaused: ({ context }) => context.pausedBy !== undefined,
    hasNoneInFlight: ({ context }) => context.inFlight === 0,
  },
  actions: {
    storeSample: assign(({ event }) => {
      if (event.type !== 'partition.sampled') return {};
      const { batches: _batches, inFlightSince, ...figures } = event.progress;
      return {
        ...figures,
        oldestInFlightMs: inFlightSince === undefined ? undefined : Math.max(0, event.at - inFlightSince),
        sampledAt: event.at,
      };
    }),
    storePause: assign(({ event }) =>
      event.type === 'operator.pause' ? { pausedBy: event.by, pausedAt: event.at } : {},
    ),
    clearPause: assign({ pausedBy: undefined, pausedAt: undefined }),
    reportReleased: sendParent(({ context }): PartitionReleasedEvent => ({
      type: 'partition.released',
      topic: context.topic,
      partition: context.partition,
    })),
  },
}).createMachine({
  id: 'partition',
  context: ({ input }) => ({ topic: input.topic, partition: input.partition, inFlight: 0 }),
  initial: 'idle',
  on: {
    'partition.revoked': { target: '.revoked' },
  },
  states: {
    idle: {
      description: 'Assigned; no record of it is in flight.',
      on: {
        'partition.sampled': [
          { guard: 'hasInFlight', target: 'processing', actions: 'storeSample' },
          { actions: 'storeSample' },
        ],
        'partition.revoking': { target: 'revoking' },
        'partition.releasing': { target: 'releasing' },
        'operator.pause': { target: 'paused', actions: 'storePause' },
      },
    },
    processing: {
      description: 'Records of it are in flight: handlers running, or replies waiting for Kafka.',
      on: {
        'partition.sampled': [
          { guard: 'hasInFlight', actions: 'storeSample' },
          { target: 'idle', actions: 'storeSample' },
        ],
        'partition.revoking': { target: 'revoking' },
        'partition.releasing': { target: 'releasing' },
        'operator.pause': { target: 'paused', actions: 'storePause' },
      },
    },
    paused: {
      description:
        'An operator paused it: the consumer fetches nothing of it until an operator resumes it. Records ' +
        'already in flight finish and commit; a rebalance that keeps the partition here keeps the pause.',
      on: {
        'partition.sampled': { actions: 'storeSample' },
        'operator.resume': [
          { guard: 'hadInFlight', target: 'processing', actions: 'clearPause' },
          { target: 'idle', actions: 'clearPause' },
        ],
        'partition.revoking': { target: 'revoking' },
        'partition.releasing': { target: 'releasing', actions: 'clearPause' },
      },
    },
    revoking: {
      description:
        'A rebalance began: in-flight records finish (or an abandoning close cuts them off) and what is ' +
        'finished is committed before the member rejoins.',
      on: {
        'partition.sampled': { actions: 'storeSample' },
        // Back to what its last sample says: a record still in flight (a handler hung through the rebalance)
        // keeps it processing, since the sampler tells the actor nothing new until its progress moves.
        'partition.kept': [
          { guard: 'isOperatorPaused', target: 'paused' },
          { guard: 'hadInFlight', target: 'processing' },
          { target: 'idle' },
        ],
      },
    },
    releasing: {
      description:
        'KIP-848: the group gave it to another member while this one keeps the others. Its in-flight ' +
        'records finish (nothing new of it is fetched); once a sample shows none left it is released.',
      always: { guard: 'hasNoneInFlight', target: 'released' },
      on: {
        'partition.sampled': { actions: 'storeSample' },
      },
    },
    released: {
      description:
        'Its records are finished: the connection commits them and stops the actor, the others flowing on.',
      type: 'final',
      entry: 'reportReleased',
    },
    revoked: {
      description: 'No longer this member’s: the connection stops the actor.',
      type: 'final',
    },
  },
});

export type PartitionMachine = typeof partitionMachine;
export type PartitionActor = ActorRefFrom<PartitionMachine>;
export type PartitionSnapshot = SnapshotFrom<PartitionMachine>;

/** The id of a partition's actor among the connection actor's children: `partition:<topic>/<partition>`. */
export function partitionActorId(topic: string, partition: number): string {
  return `partition:${topic}/${partition}`;
}
