import type { Subscriber, Subscription } from 'rxjs';
import type { DrainMode } from '../connection/connection-events';
import { createKafkaConnection } from '../connection/create-kafka-connection';
import type { KafkaConnection } from '../connection/kafka-connection';
import { PartitionProgressBook } from '../offsets/partition-progress';
import type { FetchedBatch } from '../kafka/fetched-batch';
import type { KafkaDriver } from '../kafka/kafka-driver';
import { RxKafkaError } from '../errors';
import { createKafkaTracing, type KafkaTracing } from '../tracing/kafka-tracing';
import { BatchFeed, type FeedHost } from './batch-feed';
import type { CommittableRecord } from './committable-record';
import type { ResolvedConsumeOptions } from './consume-options';
import type { StreamReport, StreamStopReason } from './stream-report';
import { StreamRetries } from './stream-retries';

/**
 * One subscription of a `consume()` stream: one group member through its own KafkaConnection (so the
 * connection actor, its status, assignment and partition actors are the server's), feeding each fetched
 * batch to the subscriber (BatchFeed) and stopping the way the subscription ends: drain() completes the
 * subscriber and waits for emitted records, an unsubscribe abandons them.
 */
export class StreamMember<T> implements FeedHost<T> {
  readonly connection: KafkaConnection;
  readonly progress = new PartitionProgressBook();
  readonly counts = { emitted: 0, finished: 0, decodeFailures: 0 };
  readonly bufferSize: number;
  readonly decode: ResolvedConsumeOptions<T>['decode'];
  readonly logger: ResolvedConsumeOptions<T>['logger'];
  readonly tracing: KafkaTracing | undefined;
  /** The stream's retry topics (`retryTopics`), read beside its own topics. */
  readonly retries: StreamRetries | undefined;
  readonly #driver: KafkaDriver;
  readonly #options: ResolvedConsumeOptions<T>;
  readonly #subscriber: Subscriber<CommittableRecord<T>>;
  /** Batches being fed, each with the function that lets it return at once (an abandon). */
  readonly #active = new Map<BatchFeed<T>, { release: () => void; run?: Promise<void> }>();
  readonly #failures: Subscription;
  /** The report of the one stop, shared by every call that asks for it. */
  #report: Promise<StreamReport> | undefined;

  constructor(
    options: ResolvedConsumeOptions<T>,
    driver: KafkaDriver,
    subscriber: Subscriber<CommittableRecord<T>>,
  ) {
    this.#options = options;
    this.#driver = driver;
    this.#subscriber = subscriber;
    this.bufferSize = options.bufferSize;
    this.decode = options.decode;
    this.logger = options.logger;
    this.tracing = createKafkaTracing(
      { clientId: options.clientId, groupId: options.groupId },
      options.logger,
    );
    this.connection = createKafkaConnection(
      { ...options, driver },
      {
        kind: 'consumer',
        runSettings: { partitionsConsumedConcurrently: options.partitionConcurrency } as {
          autoCommit?: boolean;
        },
        topics: [...options.topics, ...(options.retryTopics?.topics ?? [])],
        fromBeginning: options.fromBeginning,
        eachBatch: (payload) => this.#eachBatch(payload),
        inFlight: this,
        progress: this.progress,
        // Only retry topics make a stream write: its records go forward through this member's producer.
        produces: options.retryTopics !== undefined,
      },
    );
    const connection = this.connection;
    this.retries =
      options.retryTopics &&
      new StreamRetries({
        routes: options.retryTopics,
        produceQueue: connection.produceQueue,
        pause: (topic, partition) => connection.pause(topic, partition),
        resume: (topic, partition) => connection.resume(topic, partition),
        logger: options.logger,
        ...(this.tracing ? { tracing: this.tracing } : {}),
      });
    // A member that served and then gave up reconnecting ends its subscription with the connection's error.
    // A first connect that fails is start()'s: connect() rejects with the typed error (a missing topic).
    this.#failures = this.connection.status$.subscribe((status) => {
      if (status !== 'failed' || this.#report) return;
      if (this.connection.actor.getSnapshot().context.everReady) this.#fail(this.#failedError());
    });
  }

  /**
   * Joins the group (after checking, or creating, the retry topics); a failure ends the subscription with
   * its error.
   */
  start(): void {
    const joined = this.retries
      ? this.retries.prepare(this.#driver, this.#options.driver).then(() => this.connection.connect())
      : this.connection.connect();
    joined.catch((error: unknown) => {
      if (!this.#report) this.#fail(error);
    });
  }

  /** Stops intake, completes the subscriber, waits for emitted records (at most `deadlineMs`), leaves. */
  drain(deadlineMs: number): Promise<StreamReport> {
    return this.#stop('drain', 'drain', deadlineMs);
  }

  /** Stops intake at once: emitted records not finished are abandoned (redelivered), then it leaves. */
  abandonAndLeave(): Promise<StreamReport> {
    return this.#stop('unsubscribe', 'abandon');
  }

  mayEmit(): boolean {
    return this.#report === undefined && this.connection.dispatchMode === 'running';
  }

  isAbandoning(): boolean {
    return this.connection.dispatchMode === 'abandon';
  }

  emit(record: CommittableRecord<T>): void {
    this.#subscriber.next(record);
  }

  requestCommit(): void {
    this.connection.requestCommit();
  }

  /** The connection's drain waits here until every batch returned (its emitted records finished). */
  async finish(): Promise<void> {
    await Promise.allSettled([...this.#active.values()].map(({ run }) => run));
  }

  /** The connection's abandon (unsubscribe, or the drain deadline): batches return at once. */
  abandon(): void {
    for (const [feed, { release }] of this.#active) {
      release();
      feed.wake();
    }
  }

  async #eachBatch(payload: FetchedBatch): Promise<void> {
    if (!this.mayEmit()) return;
    const feed = new BatchFeed(payload, this);
    const entry: { release: () => void; run?: Promise<void> } = { release: () => undefined };
    // Registered before it starts: the subscriber may stop the stream from inside the first emission.
    const released = new Promise<void>((resolve) => (entry.release = resolve));
    this.#active.set(feed, entry);
    try {
      entry.run = feed.run();
      entry.run.catch(() => undefined);
      // An abandon returns the batch to kafkajs at once; the feed resolves nothing more after it.
      await Promise.race([entry.run, released]);
    } finally {
      this.#active.delete(feed);
    }
  }

  #fail(error: unknown): void {
    void this.#stop('error', 'abandon');
    this.#subscriber.error(error);
  }

  #failedError(): RxKafkaError {
    const reason = this.connection.actor.getSnapshot().context.lastError;
    return new RxKafkaError(
      'RXK_NOT_CONNECTED',
      `stream ${this.#options.clientId} of group ${this.#options.groupId} lost its connection and stopped reconnecting` +
        (reason ? `: ${reason.name}: ${reason.message}` : ''),
      { state: 'failed' },
    );
  }

  #stop(reason: StreamStopReason, mode: DrainMode, deadlineMs?: number): Promise<StreamReport> {
    // Intake closes here (mayEmit() reads the report's promise). The connection is told a microtask later:
    // records committed before the stop are resolved first, and completing the subscriber unsubscribes it,
    // which asks to stop again.
    this.#report ??= Promise.resolve().then(() => this.#leave(reason, mode, deadlineMs));
    return this.#report;
  }

  async #leave(reason: StreamStopReason, mode: DrainMode, deadlineMs?: number): Promise<StreamReport> {
    const started = Date.now();
    this.#failures.unsubscribe();
    for (const feed of this.#active.keys()) feed.wake();
    // Downstream operators finish their in-flight inner work once their source completes.
    if (reason === 'drain') this.#subscriber.complete();
    let timedOut = false;
    try {
      timedOut = (await this.connection.close(mode, deadlineMs)).timedOut;
    } finally {
      this.retries?.clear();
      this.connection.dispose();
    }
    const { emitted, finished, decodeFailures } = this.counts;
    const report: StreamReport = {
      reason,
      timedOut,
      durationMs: Date.now() - started,
      recordsEmitted: emitted,
      recordsFinished: finished,
      recordsAbandoned: emitted - finished,
      decodeFailures,
      committed: this.connection.offsets.committed,
    };
    this.logger.info(
      `stream ${this.#options.clientId} of group ${this.#options.groupId} stopped (${reason})`,
      {
        ...report,
      },
    );
    return report;
  }
}
