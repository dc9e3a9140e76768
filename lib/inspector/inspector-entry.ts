/**
 * What the inspector records and streams: one entry per thing that happened to an actor, plain JSON, so
 * the same lines serve the live page, a recording file and its replay. Topic names, offsets and member ids,
 * and in a `views` entry the keys of records waiting or running unless the inspector hides them; never a
 * record's value or headers.
 */
import type { PendingRequestsSummary } from '../client/pending-requests';
import type { ConnectionError } from '../connection/connection-events';
import type { RetryCount } from '../pipeline/retry-forwarding';
import type { RetryWaiting } from '../pipeline/retry-waiting';
import type { HandlerViews } from './view-handlers';

/** A connection actor took an edge of its chart. */
export interface EdgeEntry {
  readonly kind: 'edge';
  readonly seq: number;
  /** Epoch milliseconds. */
  readonly at: number;
  /** The process (a fleet member) and the source in it: `server`, `client`, or the name given. */
  readonly member: string;
  readonly source: string;
  readonly from: string;
  readonly event: string;
  readonly to: string;
  /** The Kafka facts after the edge. */
  readonly facts: KafkaFacts;
  /** The partition actors right after the edge, when they changed with it (a rebalance, a join). */
  readonly partitions?: PartitionsEntry['partitions'];
}

/**
 * A partition actor took an edge an operator's command caused (`operator.pause`, `operator.resume`): who
 * asked, the partition's states before and after, and the partition actors right after.
 */
export interface PartitionEdgeEntry {
  readonly kind: 'partition-edge';
  readonly seq: number;
  readonly at: number;
  readonly member: string;
  readonly source: string;
  readonly topic: string;
  readonly partition: number;
  readonly from: string;
  readonly event: string;
  readonly to: string;
  readonly by: string;
  readonly partitions: PartitionsEntry['partitions'];
}

/** An inspector command a member ran, or its actor refused: who asked what, and what came of it. */
export interface CommandEntry {
  readonly kind: 'command';
  readonly seq: number;
  readonly at: number;
  /** The member that ran it. */
  readonly member: string;
  readonly source: string;
  readonly id: string;
  readonly type: 'pause' | 'resume' | 'skip' | 'drain' | 'stop';
  readonly topic?: string;
  readonly partition?: number;
  /** A skipped record's offset. */
  readonly offset?: string;
  readonly by: string;
  readonly accepted: boolean;
  /** Why it was refused. */
  readonly reason?: string;
}

/**
 * An operator's re-drive of a dead-letter topic (the `redrive` command): once when it starts, once when it
 * ends with what it wrote back and skipped, or why it failed.
 */
export interface RedriveEntry {
  readonly kind: 'redrive';
  readonly seq: number;
  readonly at: number;
  readonly member: string;
  /** Always `inspector`: the command's, not a source's. */
  readonly source: string;
  /** The command's id. */
  readonly id: string;
  /** The dead-letter topic. */
  readonly topic: string;
  readonly by: string;
  readonly outcome: 'started' | 'done' | 'failed';
  readonly redriven?: number;
  readonly skipped?: number;
  readonly byTopic?: Readonly<Record<string, number>>;
  /** Why it failed (`outcome: 'failed'`). */
  readonly error?: string;
}

/** What Kafka says of a connection at a moment: its member, generation, assignment and last error. */
export interface KafkaFacts {
  readonly memberId?: string;
  readonly generationId?: number;
  readonly assignment: Readonly<Record<string, readonly number[]>>;
  readonly lastError?: ConnectionError;
}

/** The partition actors of a source, as they stood (only when something changed). */
export interface PartitionsEntry {
  readonly kind: 'partitions';
  readonly seq: number;
  readonly at: number;
  readonly member: string;
  readonly source: string;
  readonly partitions: ReadonlyArray<{
    readonly id: string;
    readonly state: string;
    readonly topic: string;
    readonly partition: number;
    readonly inFlight: number;
    readonly finishedOffset?: string;
    readonly committedOffset?: string;
    readonly highWatermark?: string;
    readonly lag?: number;
    readonly oldestInFlightMs?: number;
    readonly lastError?: { readonly name: string; readonly message: string };
  }>;
}

/** A client's requests, as they stood (only when something changed). */
export interface RequestsEntry {
  readonly kind: 'requests';
  readonly seq: number;
  readonly at: number;
  readonly member: string;
  readonly source: string;
  readonly requests: PendingRequestsSummary;
  /** reply topic → the partition this client's replies go to. */
  readonly replyPartitions: Readonly<Record<string, number>>;
}

/**
 * A server's retry topics, as they stood (only when something changed): records forwarded by source topic
 * and failed attempt, and the records waiting on each retry topic with the oldest one's due time.
 */
export interface RetriesEntry {
  readonly kind: 'retries';
  readonly seq: number;
  readonly at: number;
  readonly member: string;
  readonly source: string;
  /** `server.stats.retries`. */
  readonly retries: readonly RetryCount[];
  /** `server.stats.retryWaiting`. */
  readonly waiting: readonly RetryWaiting[];
}

/** A source became known: its chart's name and whether it is a consumer or producer-only. */
export interface SourceEntry {
  readonly kind: 'source';
  readonly seq: number;
  readonly at: number;
  readonly member: string;
  readonly source: string;
  readonly role: 'server' | 'client' | 'connection';
  /** The connection's current state when the inspector first saw it (a dotted path). */
  readonly state: string;
  readonly clientId: string;
  readonly groupId?: string;
  /** The Kafka facts when the inspector first saw it. */
  readonly facts: KafkaFacts;
}

/** The process's per-handler and per-key views, as they stood (once a second, only when they changed). */
export interface ViewsEntry {
  readonly kind: 'views';
  readonly seq: number;
  readonly at: number;
  readonly member: string;
  /** Always `handlers`: the views are the process's, not one source's. */
  readonly source: string;
  readonly views: HandlerViews;
}

export type InspectorEntry =
  | CommandEntry
  | EdgeEntry
  | PartitionEdgeEntry
  | PartitionsEntry
  | RedriveEntry
  | RequestsEntry
  | RetriesEntry
  | SourceEntry
  | ViewsEntry;

/** An entry as its writer makes it: the history numbers it, and the member it comes from is the writer's. */
export type MemberlessEntry = InspectorEntry extends infer E
  ? E extends InspectorEntry
    ? Omit<E, 'seq' | 'member'>
    : never
  : never;

/** An entry before the history numbers it. */
export type NewInspectorEntry = InspectorEntry extends infer E
  ? E extends InspectorEntry
    ? Omit<E, 'seq'>
    : never
  : never;
