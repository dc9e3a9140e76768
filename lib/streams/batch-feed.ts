import type { PartitionProgressBook } from '../offsets/partition-progress';
import { OffsetTracker } from '../offsets/offset-tracker';
import type { FetchedBatch } from '../kafka/fetched-batch';
import type { FetchedRecord } from '../kafka/kafka-record';
import type { Logger } from '../logger';
import type { KafkaTracing, ProcessSpan } from '../tracing/kafka-tracing';
import { RxKafkaError } from '../errors';
import { decodeHeaders, decodeWireValue, toRawRecord } from '../wire/parser';
import type { CommittableRecord, RetryOutcome } from './committable-record';
import type { RecordDecoder } from './consume-options';
import type { RetryAdmission, StreamRetries } from './stream-retries';

/** What a batch feed needs from the stream member it feeds. */
export interface FeedHost<T> {
  readonly bufferSize: number;
  readonly decode: RecordDecoder<T>;
  readonly logger: Logger;
  readonly progress: PartitionProgressBook;
  /** The stream's tracing, when an OpenTelemetry SDK is registered. */
  readonly tracing?: KafkaTracing;
  /** The stream's retry topics (`retryTopics`); without them `record.retry()` rejects. */
  readonly retries?: StreamRetries;
  /** Figures for the report, written by the feeds. */
  readonly counts: { emitted: number; finished: number; decodeFailures: number };
  /** True while records may be handed to the subscriber (no drain, unsubscribe or close began). */
  mayEmit(): boolean;
  /** True once the member stopped waiting for emitted records: nothing more may be resolved. */
  isAbandoning(): boolean;
  emit(record: CommittableRecord<T>): void;
  /** Asks for a background commit of what is resolved. */
  requestCommit(): void;
}

const HEARTBEAT_EVERY_MS = 1_000;

/** A stream without retry topics emits every record as its first run. */
const FIRST_RUN: RetryAdmission = Object.freeze({ kind: 'emit', attempt: 1 });

/**
 * Feeds one fetched batch to the subscriber, at most `bufferSize` unfinished records at a time, and does
 * not return before every record it emitted is finished: kafkajs (`eachBatchAutoResolve: false`) fetches
 * a partition again from its last resolved offset, and only once its batch returned, so holding the batch
 * is what stops the partition's intake at the source, and returning early would fetch the unfinished
 * records again. It heartbeats while it waits. Offsets are resolved only as the finished prefix grows
 * (OffsetTracker), so the committed offset never passes an unfinished record.
 *
 * A batch gone stale (a rebalance, a seek) or a member that stops emits nothing more; it still waits for
 * the records it emitted, unless the member abandons them (unsubscribe, drain deadline).
 */
export class BatchFeed<T> {
  readonly #payload: FetchedBatch;
  readonly #host: FeedHost<T>;
  readonly #tracker: OffsetTracker;
  #unfinished = 0;
  /** The process spans of emitted records not finished yet, by index in the batch (traced streams only). */
  readonly #processSpans = new Map<number, ProcessSpan>();
  #failure: { error: unknown } | undefined;
  /** The newest offset of the finished prefix not yet handed to kafkajs. */
  #unresolved: string | undefined;
  #resolveScheduled = false;
  #resolvedPrefix = 0;
  /** Once the batch returned: a commit() after it resolves nothing (the partition moved on, or away). */
  #closed = false;
  #wake: (() => void) | undefined;
  #heartbeats: NodeJS.Timeout | undefined;
  #lastHeartbeatAt = Date.now();

  constructor(payload: FetchedBatch, host: FeedHost<T>) {
    this.#payload = payload;
    this.#host = host;
    this.#tracker = new OffsetTracker(payload.batch.messages.map((message) => message.offset));
  }

  /** Emits the batch's records and resolves once every emitted one is finished (or abandoned). */
  async run(): Promise<void> {
    const { messages, topic, partition } = this.#payload.batch;
    const { bufferSize } = this.#host;
    try {
      for (let index = 0; index < messages.length; index++) {
        if (!this.#mayGoOn()) break;
        if (this.#unfinished >= bufferSize) {
          await this.#waitUntil(() => this.#unfinished < bufferSize || !this.#mayGoOn());
          if (!this.#mayGoOn()) break;
        }
        const message = messages[index];
        const admission = this.#host.retries?.admit(toRawRecord(message, topic, partition)) ?? FIRST_RUN;
        if (admission.kind === 'later') {
          // Nothing from here on is resolved: the driver fetches the partition again from this record.
          this.#host.retries?.pauseUntil(topic, partition, admission.dueAtMs);
          break;
        }
        if (admission.kind === 'skip') {
          this.#complete(index);
          continue;
        }
        if (admission.kind === 'reject') {
          if (!(await this.#reject(message, index, admission))) break;
          continue;
        }
        this.#emit(message, index, topic, partition, admission.attempt);
        // A subscriber that works synchronously never lets the loop wait: heartbeat from here too.
        if ((index & 127) === 127 && Date.now() - this.#lastHeartbeatAt >= HEARTBEAT_EVERY_MS) this.#beat();
      }
      await this.#waitUntil(() => this.#unfinished === 0);
      this.#resolveFinished();
    } finally {
      this.#closed = true;
      clearInterval(this.#heartbeats);
      // Records let go unfinished (an abandon) end their processing here: they come back redelivered.
      for (const index of [...this.#processSpans.keys()]) this.#endProcessSpan(index);
    }
    if (this.#host.isAbandoning()) return;
    if (this.#failure) throw this.#failure.error;
    await this.#payload.heartbeat();
  }

  /** Re-checks what the batch waits for (the member stopped, or abandons). */
  wake(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** A record of this batch was committed, or forwarded by its retry() with `error` (see StreamRecord). */
  finish(index: number, error?: unknown): void {
    this.#endProcessSpan(index, error);
    if (this.#closed) return;
    this.#unfinished -= 1;
    this.#host.counts.finished += 1;
    this.#complete(index);
    this.wake();
  }

  /**
   * Forwards a record the subscriber failed on (its run `attempt`) to its next retry topic or the
   * dead-letter topic; resolves once Kafka acknowledged it, 'ignored' when the batch returned meanwhile
   * (the record is abandoned, and redelivered).
   */
  async forward(
    message: FetchedRecord,
    index: number,
    attempt: number,
    error: unknown,
  ): Promise<RetryOutcome> {
    const retries = this.#host.retries;
    if (retries === undefined) {
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        "record.retry() needs the stream's retryTopics option: consume({ ..., retryTopics: { delaysMs: [1000, 10000] } })",
        { path: 'retryTopics' },
      );
    }
    if (this.#closed) return 'ignored';
    const { topic, partition } = this.#payload.batch;
    return retries.forward(
      toRawRecord(message, topic, partition),
      attempt,
      error,
      this.#processSpans.get(index),
    );
  }

  // A retry record that cannot be placed in its schedule goes to the dead-letter topic, unseen; one that
  // cannot be written there fails the batch, so it comes back.
  async #reject(
    message: FetchedRecord,
    index: number,
    admission: RetryAdmission & { kind: 'reject' },
  ): Promise<boolean> {
    const { topic, partition } = this.#payload.batch;
    try {
      await this.#host.retries?.reject(toRawRecord(message, topic, partition), admission);
    } catch (error) {
      this.#failure ??= { error };
      return false;
    }
    this.#complete(index);
    return true;
  }

  #emit(message: FetchedRecord, index: number, topic: string, partition: number, attempt: number): void {
    let value: T;
    try {
      value = this.#host.decode(message.value, {
        topic,
        partition,
        offset: message.offset,
        key: message.key,
      });
    } catch (error) {
      this.#host.counts.decodeFailures += 1;
      this.#host.logger.warn(
        `skipping a record of ${topic}/${partition} at ${message.offset}: its decoder threw`,
        {
          topic,
          partition,
          offset: message.offset,
          error,
        },
      );
      this.#complete(index);
      return;
    }
    this.#unfinished += 1;
    this.#host.counts.emitted += 1;
    const record = new StreamRecord(this, index, { topic, partition, attempt }, message, value);
    const tracing = this.#host.tracing;
    if (tracing === undefined) {
      this.#host.emit(record);
      return;
    }
    // The subscriber is the handler: it runs in the record's process span, which ends at its commit().
    const span = tracing.startProcess({ ...message, topic, partition });
    this.#processSpans.set(index, span);
    tracing.with(span.context, () => this.#host.emit(record));
  }

  #endProcessSpan(index: number, error?: unknown): void {
    const span = this.#processSpans.get(index);
    if (span === undefined) return;
    this.#processSpans.delete(index);
    span.end(error);
  }

  #complete(index: number): void {
    const offset = this.#tracker.complete(index);
    if (offset === undefined) return;
    this.#unresolved = offset;
    // Once per burst of commits, not once per record: kafkajs keeps only the latest resolved offset.
    if (this.#resolveScheduled) return;
    this.#resolveScheduled = true;
    queueMicrotask(() => {
      this.#resolveScheduled = false;
      this.#resolveFinished();
    });
  }

  #resolveFinished(): void {
    const offset = this.#unresolved;
    if (offset === undefined || this.#host.isAbandoning()) return;
    this.#unresolved = undefined;
    this.#payload.resolveOffset(offset);
    const prefix = this.#tracker.finishedPrefix;
    const { topic, partition } = this.#payload.batch;
    this.#host.progress.recordsFinished(topic, partition, prefix - this.#resolvedPrefix, offset);
    this.#resolvedPrefix = prefix;
    this.#host.requestCommit();
  }

  #mayGoOn(): boolean {
    return (
      this.#failure === undefined &&
      this.#host.mayEmit() &&
      this.#payload.isRunning() &&
      !this.#payload.isStale()
    );
  }

  /** Waits until `done()` holds or the member abandons, heartbeating meanwhile. */
  async #waitUntil(done: () => boolean): Promise<void> {
    while (!done() && !this.#host.isAbandoning()) {
      this.#resolveFinished();
      this.#startHeartbeats();
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #startHeartbeats(): void {
    if (this.#heartbeats) return;
    this.#heartbeats = setInterval(() => this.#beat(), HEARTBEAT_EVERY_MS);
    this.#heartbeats.unref();
  }

  #beat(): void {
    this.#lastHeartbeatAt = Date.now();
    // A failed heartbeat is how a rebalance shows: emit nothing more, then let kafkajs rejoin.
    this.#payload.heartbeat().catch((error: unknown) => {
      this.#failure ??= { error };
      this.wake();
    });
  }
}

/** A record as the subscriber sees it; commit() and retry() tell its batch feed. */
class StreamRecord<T> implements CommittableRecord<T> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: unknown;
  readonly value: T;
  readonly headers: Record<string, unknown>;
  readonly timestamp: string;
  readonly attempt: number;
  readonly #feed: BatchFeed<T>;
  readonly #index: number;
  readonly #message: FetchedRecord;
  /** Open until commit(), or until retry()'s forward was acknowledged; a retry() in flight is kept here. */
  #state: 'open' | 'finished' | Promise<RetryOutcome> = 'open';

  constructor(
    feed: BatchFeed<T>,
    index: number,
    place: { readonly topic: string; readonly partition: number; readonly attempt: number },
    message: FetchedRecord,
    value: T,
  ) {
    this.#feed = feed;
    this.#index = index;
    this.#message = message;
    this.topic = place.topic;
    this.partition = place.partition;
    this.attempt = place.attempt;
    this.offset = message.offset;
    this.key = message.key === null ? null : decodeWireValue(message.key);
    this.value = value;
    this.headers = decodeHeaders(message.headers);
    this.timestamp = message.timestamp;
  }

  commit(): void {
    // A retry() in flight decides: the record is finished once its forward is acknowledged.
    if (this.#state !== 'open') return;
    this.#state = 'finished';
    this.#feed.finish(this.#index);
  }

  retry(error: unknown): Promise<RetryOutcome> {
    if (this.#state === 'finished') return Promise.resolve('ignored');
    if (this.#state !== 'open') return this.#state;
    const forwarding = this.#feed.forward(this.#message, this.#index, this.attempt, error).then(
      (outcome) => {
        this.#state = 'finished';
        if (outcome !== 'ignored') this.#feed.finish(this.#index, error);
        return outcome;
      },
      (failure: unknown) => {
        // Not forwarded: the record stays unfinished (its offset uncommitted), for another retry() or commit().
        this.#state = 'open';
        throw failure;
      },
    );
    this.#state = forwarding;
    return forwarding;
  }
}
