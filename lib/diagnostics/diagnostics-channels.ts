/**
 * rxkafka's event catalog: the `node:diagnostics_channel` channels it publishes on, and what each carries.
 * Subscribe with `diagnostics_channel.subscribe(name, listener)`; a channel nobody subscribes to costs a
 * `hasSubscribers` check at its publish point, and no payload is built for it.
 *
 * Payloads are read-only and describe; they never carry a record's value or headers, and carry its key only
 * on the handler and dead-letter channels (as text, so a stuck key can be named). Listeners run
 * synchronously where the thing happens, so they should be quick and must not throw (Node reports a
 * listener's throw as an uncaught exception).
 */
import type { AnyActorRef } from 'xstate';
import type { TopicPartitionOffsets } from '../kafka/fetched-batch';

/** The name of every channel rxkafka publishes on. */
export const DIAGNOSTICS_CHANNELS = Object.freeze({
  /** A connection actor's top-level state (or its assignment) changed. */
  connectionTransition: 'rxkafka:connection:transition',
  /** A partition actor was spawned or changed state. */
  partitionTransition: 'rxkafka:partition:transition',
  /** The consumer handed a fetched batch to the runtime. */
  batchStart: 'rxkafka:batch:start',
  /** The runtime returned a batch to the consumer (done, or failed and to be fetched again). */
  batchEnd: 'rxkafka:batch:end',
  /** A handler starts on a record (once per record and handler, retries included). */
  handlerStart: 'rxkafka:handler:start',
  /** A handler's run is over: its result is there (a request's reply is about to be produced). */
  handlerEnd: 'rxkafka:handler:end',
  /** A handler failed for good (after its retries): published before its `handlerEnd`. */
  handlerError: 'rxkafka:handler:error',
  /** A handler failed with a retriable error and runs again on the same record after a backoff. */
  handlerRetry: 'rxkafka:handler:retry',
  /** An event's handler failed for good and its record was written to its dead-letter topic. */
  deadLetterSent: 'rxkafka:dead-letter:sent',
  /** An operator skipped a record its event handler still ran on, and Kafka acknowledged its dead letter. */
  recordSkipped: 'rxkafka:record:skipped',
  /** A handler with `retryTopics` failed on a record, and Kafka acknowledged its copy on a retry topic. */
  retryForwarded: 'rxkafka:retry:forwarded',
  /** A handler with `retryTopics` failed on a record for good, and Kafka acknowledged its dead letter. */
  retryDeadLettered: 'rxkafka:retry:dead-lettered',
  /** A re-drive of a dead-letter topic ended: what it wrote back to the original topics, what it skipped. */
  deadLettersRedriven: 'rxkafka:dead-letter:redriven',
  /** A retry topic's partition reached a record not due yet, and is paused until that record is due. */
  retryWaiting: 'rxkafka:retry:waiting',
  /** Kafka acknowledged reply records of a request. */
  replyProduced: 'rxkafka:reply:produced',
  /** The consumer committed offsets. */
  offsetsCommitted: 'rxkafka:offsets:committed',
  /** A client handed a request record to its producer. */
  requestSent: 'rxkafka:request:sent',
  /** A client's request got its last reply (or an error reply), or timed out. */
  requestSettled: 'rxkafka:request:settled',
} as const);

/** One of the channel names. */
export type DiagnosticsChannelName = (typeof DIAGNOSTICS_CHANNELS)[keyof typeof DIAGNOSTICS_CHANNELS];

/** The connection a payload comes from. */
export interface ConnectionIdentity {
  /** The connection's `clientId` (also its actor's id). */
  readonly clientId: string;
  /** The consumer group; absent for a producer-only connection. */
  readonly groupId?: string;
  /** The connection actor (`KafkaConnection.actor`, `server.connection.actor`): compare by identity. */
  readonly actor: AnyActorRef;
}

/** `rxkafka:connection:transition`: as `KafkaConnection.transitions$` has it. */
export interface ConnectionTransitionPayload extends ConnectionIdentity {
  /** The top-level state left (`assigned`, `rebalancing`, …); absent for the actor's start. */
  readonly from?: string;
  /** The top-level state entered. */
  readonly to: string;
  /** The event that caused it, xstate's own included (`xstate.done.actor.connectKafka`). */
  readonly event: string;
  /** The assignment after it: topic → partitions. */
  readonly assignment: Readonly<Record<string, readonly number[]>>;
  /** Epoch milliseconds. */
  readonly at: number;
}

/** `rxkafka:partition:transition`: a partition actor (`idle`, `processing`, `revoking`, `revoked`). */
export interface PartitionTransitionPayload extends ConnectionIdentity {
  readonly topic: string;
  readonly partition: number;
  /** The state left; absent when the actor was spawned (a join assigned the partition). */
  readonly from?: string;
  readonly to: string;
  /** The event that caused it (`partition.sampled`, `partition.revoking`, …, `xstate.init`). */
  readonly event: string;
  /** Epoch milliseconds. */
  readonly at: number;
}

/** `rxkafka:batch:start`: one fetched batch of one partition. */
export interface BatchStartPayload extends ConnectionIdentity {
  readonly topic: string;
  readonly partition: number;
  /** Records in the batch. */
  readonly records: number;
  /** Offsets of its first and last record; absent for an empty batch. */
  readonly firstOffset?: string;
  readonly lastOffset?: string;
  /** The partition's end offset when the batch was fetched. */
  readonly highWatermark: string;
}

/** `rxkafka:batch:start` only: also each record's offset and key, so a key waiting behind another can be named. */
export interface BatchRecordsPayload extends BatchStartPayload {
  /** Offset order; `key` is the key's bytes as UTF-8 text, absent when the record has none. */
  readonly keys: ReadonlyArray<{ readonly offset: string; readonly key?: string }>;
}

/** `rxkafka:batch:end`: the batch's start payload, with how long it took and how it ended. */
export interface BatchEndPayload extends BatchStartPayload {
  /** Milliseconds since its start; absent when nobody listened at its start. */
  readonly durationMs?: number;
  /** Why it failed (its unresolved records are fetched again); absent when it returned normally. */
  readonly error?: unknown;
}

/** `rxkafka:handler:start`: one handler on one record. */
export interface HandlerStartPayload {
  /** `request` (a `@MessagePattern` with request headers) or `event`. */
  readonly kind: 'request' | 'event';
  /** `Controller.method`. */
  readonly handler: string;
  /** The handler's pattern as declared (a RegExp pattern as its source text). */
  readonly pattern: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /**
   * The record's key as text (a string key as it is, any other decoded key as JSON); absent when the
   * record has none.
   */
  readonly key?: string;
  /** The request's correlation id (requests only). */
  readonly correlationId?: string;
  /** The trace id of the record's W3C `traceparent` header; absent when it has none (or a malformed one). */
  readonly traceId?: string;
}

/** `rxkafka:handler:end`: the run is over (after `rxkafka:handler:error` when it failed). */
export interface HandlerEndPayload extends HandlerStartPayload {
  /** Milliseconds since its start; absent when nobody listened at its start. */
  readonly durationMs?: number;
}

/** `rxkafka:handler:error`: the handler failed for good (a request gets an error reply; an event is skipped). */
export interface HandlerErrorPayload extends HandlerEndPayload {
  /** What it threw or errored with (a timeout is an RxKafkaError RXK_HANDLER_TIMEOUT). */
  readonly error: unknown;
}

/** `rxkafka:handler:retry`: the attempt that just failed, and when the next one starts. */
export interface HandlerRetryPayload extends HandlerStartPayload {
  /** The attempt that failed (1 for the first run). */
  readonly attempt: number;
  /** Attempts the handler's retry policy allows in all. */
  readonly attempts: number;
  /** Epoch milliseconds when the next attempt starts (after the backoff). */
  readonly nextAttemptAt: number;
  /** What the failed attempt threw or errored with. */
  readonly error: unknown;
}

/** `rxkafka:dead-letter:sent`: Kafka acknowledged the dead letter of a record its handler failed on. */
export interface DeadLetterSentPayload extends HandlerStartPayload {
  /** Where the dead letter went (`<topic>.dlt` by default). */
  readonly deadLetterTopic: string;
}

/** `rxkafka:record:skipped`: an operator skipped a record in flight to its handlers' dead-letter topics. */
export interface RecordSkippedPayload {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Who skipped it (the command's `by`). */
  readonly by: string;
  /** Epoch milliseconds of the skip, as in the dead letter's `rxkafka_dlt-skipped-at`. */
  readonly at: number;
  /** `Controller.method` of each handler run cut off. */
  readonly handlers: readonly string[];
  /** Where the dead letters went. */
  readonly deadLetterTopics: readonly string[];
}

/** Where a record a handler with `retryTopics` failed on was read, and by which handler. */
interface RetriedRecordPayload {
  /** `Controller.method`. */
  readonly handler: string;
  /** The handler's own topic, where the record first came from. */
  readonly source: string;
  /** Where the failed run read the record: the source topic or one of its retry topics. */
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** What the failed run threw or errored with. */
  readonly error: unknown;
}

/** `rxkafka:retry:forwarded`: the record's copy waits on a retry topic until it is due. */
export interface RetryForwardedPayload extends RetriedRecordPayload {
  /** The attempt that failed (1 for the run on the source topic). */
  readonly attempt: number;
  readonly retryTopic: string;
  /** Epoch milliseconds when the copy is due (its next attempt starts no earlier). */
  readonly dueAt: number;
}

/**
 * `rxkafka:retry:dead-lettered`: the record failed for good, and Kafka acknowledged its dead letter. A handler
 * without a dead-letter topic (a request, `deadLetter: false`) publishes none.
 */
export interface RetryDeadLetteredPayload extends RetriedRecordPayload {
  /** Runs of the handler on the record in all; 0 when a malformed retry record was refused unrun. */
  readonly attempts: number;
  readonly deadLetterTopic: string;
}

/**
 * `rxkafka:retry:waiting`: the partition of a retry topic stops at a record not due yet; nothing of it is
 * fetched until `dueAt`, when its record runs. Published each time a fetch finds the partition's head not due.
 */
export interface RetryWaitingPayload {
  /** The handlers' own topic the record came from. */
  readonly source: string;
  /** The retry topic. */
  readonly topic: string;
  readonly partition: number;
  /** The record not due yet: the partition's head, the next one it runs. */
  readonly offset: string;
  /** Epoch milliseconds when it is due (its `RetryHeaders.DUE_AT`) and the partition resumes. */
  readonly dueAt: number;
  /** Records the pause holds back: from `offset` to the partition's end offset at this fetch. */
  readonly waiting: number;
}

/** `rxkafka:dead-letter:redriven`: a re-drive (`redriveDeadLetters()`) read its dead-letter topic to the end it saw at its start. */
export interface DeadLettersRedrivenPayload {
  /** The dead-letter topic. */
  readonly topic: string;
  /** The group that keeps the re-drive's progress. */
  readonly groupId: string;
  /** Who re-drove. */
  readonly by: string;
  /** Dead letters written back and acknowledged. */
  readonly redriven: number;
  /** Dead letters passed over (no or unknown original topic, or filtered out). */
  readonly skipped: number;
  /** Re-driven dead letters per original topic. */
  readonly byTopic: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

/** `rxkafka:reply:produced`: reply records Kafka acknowledged. */
export interface ReplyProducedPayload {
  /** The request's correlation id. */
  readonly correlationId: string;
  readonly replyTopic: string;
  /** The partition asked for; absent when the partitioner chose one. */
  readonly replyPartition?: number;
  /** Reply records acknowledged together (a streamed reply publishes once per record). */
  readonly records: number;
}

/** `rxkafka:offsets:committed`: what the consumer committed ("the next offset to read"). */
export interface OffsetsCommittedPayload extends ConnectionIdentity {
  readonly offsets: TopicPartitionOffsets;
}

/** `rxkafka:request:sent`: a client's request, handed to its producer. */
export interface RequestSentPayload extends ConnectionIdentity {
  /** The request topic. */
  readonly pattern: string;
  readonly correlationId: string;
  readonly replyTopic: string;
  /** The reply partition the server is asked to answer on. */
  readonly replyPartition: number;
  /** Its timeout; 0 when it has none. */
  readonly timeoutMs: number;
}

/** `rxkafka:request:settled`: a client's request ended. */
export interface RequestSettledPayload extends ConnectionIdentity {
  readonly pattern: string;
  readonly correlationId: string;
  /** `answered`: its last reply or an error reply came; `timed-out`: none came in time. */
  readonly outcome: 'answered' | 'timed-out';
  /** Milliseconds since it was sent. */
  readonly durationMs: number;
}

/** Each channel's payload type, by channel name. */
export interface DiagnosticsPayloads {
  'rxkafka:connection:transition': ConnectionTransitionPayload;
  'rxkafka:partition:transition': PartitionTransitionPayload;
  'rxkafka:batch:start': BatchRecordsPayload;
  'rxkafka:batch:end': BatchEndPayload;
  'rxkafka:handler:start': HandlerStartPayload;
  'rxkafka:handler:end': HandlerEndPayload;
  'rxkafka:handler:error': HandlerErrorPayload;
  'rxkafka:handler:retry': HandlerRetryPayload;
  'rxkafka:dead-letter:sent': DeadLetterSentPayload;
  'rxkafka:record:skipped': RecordSkippedPayload;
  'rxkafka:retry:forwarded': RetryForwardedPayload;
  'rxkafka:retry:dead-lettered': RetryDeadLetteredPayload;
  'rxkafka:retry:waiting': RetryWaitingPayload;
  'rxkafka:dead-letter:redriven': DeadLettersRedrivenPayload;
  'rxkafka:reply:produced': ReplyProducedPayload;
  'rxkafka:offsets:committed': OffsetsCommittedPayload;
  'rxkafka:request:sent': RequestSentPayload;
  'rxkafka:request:settled': RequestSettledPayload;
}
