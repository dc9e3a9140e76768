/**
 * The publish points of the event catalog (diagnostics-channels.ts): one function per channel, called in
 * one line where the thing happens. Each checks `hasSubscribers` before it builds anything, so on the hot
 * path (a handler run, a batch) a channel with no subscriber costs one property read.
 */
import { channel } from 'node:diagnostics_channel';
import type { AnyActorRef } from 'xstate';
import { RunStartTimes } from './run-start-times';
import { handlerRunTaps } from './handler-run-taps';
import { toHandlerPayload, type HandlerLike, type RecordContextLike } from './handler-run';
import type { FetchedBatch, TopicPartitionOffsets } from '../kafka/fetched-batch';
import type { FetchedRecord } from '../kafka/kafka-record';
import {
  DIAGNOSTICS_CHANNELS,
  type BatchEndPayload,
  type BatchRecordsPayload,
  type BatchStartPayload,
  type ConnectionIdentity,
  type DeadLettersRedrivenPayload,
  type DiagnosticsChannelName,
  type DiagnosticsPayloads,
  type HandlerEndPayload,
  type HandlerErrorPayload,
  type RecordSkippedPayload,
  type ReplyProducedPayload,
  type RetryDeadLetteredPayload,
  type RetryForwardedPayload,
  type RetryWaitingPayload,
} from './diagnostics-channels';

export type { HandlerLike, RecordContextLike } from './handler-run';

const channels = {
  connectionTransition: channel(DIAGNOSTICS_CHANNELS.connectionTransition),
  partitionTransition: channel(DIAGNOSTICS_CHANNELS.partitionTransition),
  batchStart: channel(DIAGNOSTICS_CHANNELS.batchStart),
  batchEnd: channel(DIAGNOSTICS_CHANNELS.batchEnd),
  handlerStart: channel(DIAGNOSTICS_CHANNELS.handlerStart),
  handlerEnd: channel(DIAGNOSTICS_CHANNELS.handlerEnd),
  handlerError: channel(DIAGNOSTICS_CHANNELS.handlerError),
  handlerRetry: channel(DIAGNOSTICS_CHANNELS.handlerRetry),
  deadLetterSent: channel(DIAGNOSTICS_CHANNELS.deadLetterSent),
  recordSkipped: channel(DIAGNOSTICS_CHANNELS.recordSkipped),
  retryForwarded: channel(DIAGNOSTICS_CHANNELS.retryForwarded),
  retryDeadLettered: channel(DIAGNOSTICS_CHANNELS.retryDeadLettered),
  retryWaiting: channel(DIAGNOSTICS_CHANNELS.retryWaiting),
  deadLettersRedriven: channel(DIAGNOSTICS_CHANNELS.deadLettersRedriven),
  replyProduced: channel(DIAGNOSTICS_CHANNELS.replyProduced),
  offsetsCommitted: channel(DIAGNOSTICS_CHANNELS.offsetsCommitted),
  requestSent: channel(DIAGNOSTICS_CHANNELS.requestSent),
  requestSettled: channel(DIAGNOSTICS_CHANNELS.requestSettled),
};

let payloadsBuilt = 0;

/** Payloads built so far, over the process's life: a spec reads it to prove an unheard channel builds none. */
export function countPayloadsBuilt(): number {
  return payloadsBuilt;
}

function publish<N extends DiagnosticsChannelName>(
  target: { publish(message: unknown): void },
  _name: N,
  payload: DiagnosticsPayloads[N],
): void {
  payloadsBuilt += 1;
  target.publish(payload);
}

/** The clock durations are measured with; performance.now() is monotonic. */
const now = (): number => performance.now();

/** Start times of handler runs that someone may want to time, by their record's context. */
const runStarts = new RunStartTimes<RecordContextLike>();

// The connection actor's context carries its identity; read only once a payload is built.
function identify(actor: AnyActorRef): ConnectionIdentity {
  const context = (actor.getSnapshot() as { context?: { groupId?: string; producerOnly?: boolean } }).context;
  const groupId = context?.producerOnly ? undefined : context?.groupId;
  return groupId === undefined ? { clientId: actor.id, actor } : { clientId: actor.id, groupId, actor };
}

/**
 * A payload of `actor`'s with `fields`, built in one object: a spread of the identity into a literal copies
 * it on V8's slow path, about a microsecond a payload, and a batch or a settled request makes one each.
 */
function identified<T extends object>(actor: AnyActorRef, fields: T): ConnectionIdentity & T {
  return Object.assign(identify(actor), fields);
}

/** `rxkafka:connection:transition`. */
export function publishConnectionTransition(
  actor: AnyActorRef,
  from: string | undefined,
  to: string,
  event: string,
  assignment: Readonly<Record<string, readonly number[]>>,
): void {
  if (!channels.connectionTransition.hasSubscribers) return;
  publish(channels.connectionTransition, DIAGNOSTICS_CHANNELS.connectionTransition, {
    ...identify(actor),
    ...(from === undefined ? {} : { from }),
    to,
    event,
    assignment,
    at: Date.now(),
  });
}

/** `rxkafka:partition:transition`; `actor` is the connection actor that owns the partition actor. */
export function publishPartitionTransition(
  actor: AnyActorRef,
  topic: string,
  partition: number,
  from: string | undefined,
  to: string,
  event: string,
): void {
  if (!channels.partitionTransition.hasSubscribers) return;
  publish(channels.partitionTransition, DIAGNOSTICS_CHANNELS.partitionTransition, {
    ...identify(actor),
    topic,
    partition,
    ...(from === undefined ? {} : { from }),
    to,
    event,
    at: Date.now(),
  });
}

/**
 * `rxkafka:batch:start`. Returns the start time when someone listens to batch ends (pass it to
 * publishBatchEnd), else undefined.
 */
export function publishBatchStart(actor: AnyActorRef, payload: FetchedBatch): number | undefined {
  if (channels.batchStart.hasSubscribers) {
    const { messages } = payload.batch;
    const started = toBatchPayload(actor, payload);
    // `keys` is made when first read, not for every record of every batch: the inspector reads the
    // records themselves (BATCH_RECORDS) and decodes a key only when its page asks what waits.
    Object.defineProperty(started, BATCH_RECORDS, { value: messages });
    Object.defineProperty(started, 'keys', LAZY_KEYS);
    publish(channels.batchStart, DIAGNOSTICS_CHANNELS.batchStart, started as BatchRecordsPayload);
  }
  return channels.batchEnd.hasSubscribers ? now() : undefined;
}

/**
 * Where a `rxkafka:batch:start` payload of rxkafka's own carries the batch's records (not enumerable, not
 * part of the catalog): a listener of this package reads offsets from them, and keys only when it needs
 * them, instead of the `keys` list made for every record.
 */
export const BATCH_RECORDS: unique symbol = Symbol('rxkafka.batchRecords');

/** Where a batch payload keeps its `keys` once read. */
const KEYS_MADE: unique symbol = Symbol('rxkafka.batchKeys');

/**
 * `keys` of every batch payload: one getter, the same object each time. A getter made per payload (a
 * closure) gives each payload a hidden class of its own, and V8's classes of every object built like it
 * pile up: in a process at a hundred thousand records a second that cost more than the records' decoding.
 */
const LAZY_KEYS: PropertyDescriptor = {
  enumerable: true,
  get(this: { [BATCH_RECORDS]: readonly FetchedRecord[]; [KEYS_MADE]?: BatchRecordsPayload['keys'] }) {
    let keys = this[KEYS_MADE];
    if (keys === undefined) {
      keys = this[BATCH_RECORDS].map(toOffsetAndKey);
      Object.defineProperty(this, KEYS_MADE, { value: keys });
    }
    return keys;
  },
};

/** A fetched record's offset and key, as `keys` lists it. */
export function toOffsetAndKey({ offset, key }: FetchedRecord): { offset: string; key?: string } {
  return key === null ? { offset } : { offset, key: key.toString('utf8') };
}

/** `rxkafka:batch:end`; `error` when the batch failed. */
export function publishBatchEnd(
  actor: AnyActorRef,
  payload: FetchedBatch,
  startedAt: number | undefined,
  ...failure: [error: unknown] | []
): void {
  if (!channels.batchEnd.hasSubscribers) return;
  const ended: Mutable<BatchEndPayload> = toBatchPayload(actor, payload);
  if (startedAt !== undefined) ended.durationMs = now() - startedAt;
  if (failure.length > 0) ended.error = failure[0];
  publish(channels.batchEnd, DIAGNOSTICS_CHANNELS.batchEnd, ended);
}

// Field by field, as toHandlerPayload: one payload per batch while anyone listens, none copied.
function toBatchPayload(actor: AnyActorRef, { batch }: FetchedBatch): Mutable<BatchStartPayload> {
  const { topic, partition, messages, highWatermark } = batch;
  const first = messages[0];
  const last = messages[messages.length - 1];
  const payload: Mutable<BatchStartPayload> = identified(actor, {
    topic,
    partition,
    records: messages.length,
    highWatermark,
  });
  if (first && last) {
    payload.firstOffset = first.offset;
    payload.lastOffset = last.offset;
  }
  return payload;
}

/**
 * `rxkafka:handler:start`, and the taps' runStarted; remembers the start time when someone listens to ends
 * or errors.
 */
export function publishHandlerStart(
  kind: 'request' | 'event',
  handler: HandlerLike,
  context: RecordContextLike,
  correlationId?: string,
): void {
  const taps = handlerRunTaps;
  for (let index = 0; index < taps.length; index++)
    taps[index].runStarted(kind, handler, context, correlationId);
  if (channels.handlerEnd.hasSubscribers || channels.handlerError.hasSubscribers)
    runStarts.remember(context, now());
  if (!channels.handlerStart.hasSubscribers) return;
  publish(
    channels.handlerStart,
    DIAGNOSTICS_CHANNELS.handlerStart,
    toHandlerPayload(kind, handler, context, correlationId),
  );
}

/** `rxkafka:handler:end`, and the taps' runEnded. */
export function publishHandlerEnd(
  kind: 'request' | 'event',
  handler: HandlerLike,
  context: RecordContextLike,
  correlationId?: string,
): void {
  const taps = handlerRunTaps;
  for (let index = 0; index < taps.length; index++)
    taps[index].runEnded(kind, handler, context, correlationId);
  if (!channels.handlerEnd.hasSubscribers) {
    // Remembered for an error's listener: the next start would move it into the WeakMap, for nothing.
    runStarts.forget(context);
    return;
  }
  const payload: Mutable<HandlerEndPayload> = toHandlerPayload(kind, handler, context, correlationId);
  setDuration(payload, context);
  runStarts.forget(context);
  publish(channels.handlerEnd, DIAGNOSTICS_CHANNELS.handlerEnd, payload);
}

/** `rxkafka:handler:error`, and the taps' runFailed. */
export function publishHandlerError(
  kind: 'request' | 'event',
  handler: HandlerLike,
  context: RecordContextLike,
  error: unknown,
  correlationId?: string,
): void {
  const taps = handlerRunTaps;
  for (let index = 0; index < taps.length; index++) taps[index].runFailed(kind, handler, context);
  if (!channels.handlerError.hasSubscribers) return;
  const payload: Mutable<HandlerErrorPayload> = {
    ...toHandlerPayload(kind, handler, context, correlationId),
    error,
  };
  setDuration(payload, context);
  publish(channels.handlerError, DIAGNOSTICS_CHANNELS.handlerError, payload);
}

/** `rxkafka:handler:retry`: `attempt` of `attempts` failed with `error`; the next starts after `backoffMs`. */
export function publishHandlerRetry(
  kind: 'request' | 'event',
  handler: HandlerLike,
  context: RecordContextLike,
  retry: { readonly attempt: number; readonly attempts: number; readonly backoffMs: number },
  error: unknown,
  correlationId?: string,
): void {
  if (!channels.handlerRetry.hasSubscribers) return;
  publish(channels.handlerRetry, DIAGNOSTICS_CHANNELS.handlerRetry, {
    ...toHandlerPayload(kind, handler, context, correlationId),
    attempt: retry.attempt,
    attempts: retry.attempts,
    nextAttemptAt: Date.now() + retry.backoffMs,
    error,
  });
}

/**
 * The retry observer `runWithRetries` takes for one handler run of a policy of `attempts`: each failed attempt
 * goes to `rxkafka:handler:retry`.
 */
export function handlerRetryObserver(
  kind: 'request' | 'event',
  handler: HandlerLike,
  context: RecordContextLike,
  attempts: number,
  correlationId?: string,
): (error: unknown, attempt: number, backoffMs: number) => void {
  return (error, attempt, backoffMs) =>
    publishHandlerRetry(kind, handler, context, { attempt, attempts, backoffMs }, error, correlationId);
}

/** `rxkafka:dead-letter:sent`: the record `handler` failed on went to `deadLetterTopic`. */
export function publishDeadLetterSent(
  kind: 'request' | 'event',
  handler: HandlerLike,
  context: RecordContextLike,
  deadLetterTopic: string,
): void {
  if (!channels.deadLetterSent.hasSubscribers) return;
  publish(channels.deadLetterSent, DIAGNOSTICS_CHANNELS.deadLetterSent, {
    ...toHandlerPayload(kind, handler, context, undefined),
    deadLetterTopic,
  });
}

/** `rxkafka:record:skipped`: an operator skipped a record in flight. */
export function publishRecordSkipped(payload: RecordSkippedPayload): void {
  if (!channels.recordSkipped.hasSubscribers) return;
  publish(channels.recordSkipped, DIAGNOSTICS_CHANNELS.recordSkipped, payload);
}

/** `rxkafka:retry:forwarded`; the payload is built only when someone listens. */
export function publishRetryForwarded(build: () => RetryForwardedPayload): void {
  if (!channels.retryForwarded.hasSubscribers) return;
  publish(channels.retryForwarded, DIAGNOSTICS_CHANNELS.retryForwarded, build());
}

/** `rxkafka:retry:dead-lettered`; the payload is built only when someone listens. */
export function publishRetryDeadLettered(build: () => RetryDeadLetteredPayload): void {
  if (!channels.retryDeadLettered.hasSubscribers) return;
  publish(channels.retryDeadLettered, DIAGNOSTICS_CHANNELS.retryDeadLettered, build());
}

/** `rxkafka:retry:waiting`; the payload is built only when someone listens. */
export function publishRetryWaiting(build: () => RetryWaitingPayload): void {
  if (!channels.retryWaiting.hasSubscribers) return;
  publish(channels.retryWaiting, DIAGNOSTICS_CHANNELS.retryWaiting, build());
}

/** `rxkafka:dead-letter:redriven`; the payload is built only when someone listens. */
export function publishDeadLettersRedriven(build: () => DeadLettersRedrivenPayload): void {
  if (!channels.deadLettersRedriven.hasSubscribers) return;
  publish(channels.deadLettersRedriven, DIAGNOSTICS_CHANNELS.deadLettersRedriven, build());
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function setDuration(payload: Mutable<HandlerEndPayload>, context: RecordContextLike): void {
  const startedAt = runStarts.startOf(context);
  if (startedAt !== undefined) payload.durationMs = now() - startedAt;
}

/** `rxkafka:reply:produced`. */
export function publishReplyProduced(
  route: { readonly correlationId: string; readonly replyTopic: string; readonly replyPartition?: number },
  records: number,
): void {
  if (!channels.replyProduced.hasSubscribers) return;
  const { correlationId, replyTopic, replyPartition } = route;
  // Field by field: one payload per request while anyone listens.
  const payload: Mutable<ReplyProducedPayload> = { correlationId, replyTopic, records };
  if (replyPartition !== undefined) payload.replyPartition = replyPartition;
  publish(channels.replyProduced, DIAGNOSTICS_CHANNELS.replyProduced, payload);
}

/** `rxkafka:offsets:committed`. */
export function publishOffsetsCommitted(actor: AnyActorRef, offsets: TopicPartitionOffsets): void {
  if (!channels.offsetsCommitted.hasSubscribers) return;
  publish(channels.offsetsCommitted, DIAGNOSTICS_CHANNELS.offsetsCommitted, identified(actor, { offsets }));
}

/** `rxkafka:request:sent`; `actor` is the client's connection actor (none: nothing to publish). */
export function publishRequestSent(
  actor: AnyActorRef | undefined,
  pattern: string,
  correlationId: string,
  replyTopic: string,
  replyPartition: number,
  timeoutMs: number,
): void {
  if (!channels.requestSent.hasSubscribers || !actor) return;
  publish(
    channels.requestSent,
    DIAGNOSTICS_CHANNELS.requestSent,
    identified(actor, { pattern, correlationId, replyTopic, replyPartition, timeoutMs }),
  );
}

/** `rxkafka:request:settled`; `actor` as for publishRequestSent. */
export function publishRequestSettled(
  actor: AnyActorRef | undefined,
  correlationId: string,
  pattern: string,
  outcome: 'answered' | 'timed-out',
  durationMs: number,
): void {
  if (!channels.requestSettled.hasSubscribers || !actor) return;
  publish(
    channels.requestSettled,
    DIAGNOSTICS_CHANNELS.requestSettled,
    identified(actor, { pattern, correlationId, outcome, durationMs }),
  );
}
