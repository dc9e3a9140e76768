/**
 * `replay()`: a topic read from a chosen start, outside any consumer group of the application's, with a
 * signal once it has caught up with the end offsets it saw at its start.
 */
import { Observable, Subject, type Subscriber, type Subscription } from 'rxjs';
import { createKafkaConnection } from '../connection/create-kafka-connection';
import type { KafkaConnection } from '../connection/kafka-connection';
import { RxKafkaError } from '../errors';
import type { FetchedBatch } from '../kafka/fetched-batch';
import type { KafkaDriver } from '../kafka/kafka-driver';
import { createDriver } from '../options/create-driver';
import type { FetchedRecord } from '../kafka/kafka-record';
import { decodeHeaders, decodeWireValue, type IncomingMessage } from '../wire/parser';
import { resolveReplayBounds, type ReplayBounds } from './replay-bounds';
import {
  createReplayGroupId,
  resolveReplayOptions,
  type ReplayOptions,
  type ResolvedReplayOptions,
} from './replay-options';

/** One replayed record: the server's decoded record (`IncomingMessage`), its value decoded as `T`. */
export interface ReplayRecord<T = unknown> extends Omit<IncomingMessage, 'value'> {
  readonly value: T;
}

/** What `caughtUp$` emits: the end offsets captured at the read's start, which it has now reached. */
export interface CaughtUp {
  readonly topic: string;
  /** Per partition, the next offset to read (the end offset captured at start). */
  readonly offsets: Readonly<Record<number, string>>;
}

/**
 * A replay of one topic: a cold Observable of its records (each subscription is its own read), per-partition
 * order kept. `caughtUp$` emits once per read, when every partition reached the end offsets captured at that
 * read's start (at once for an empty topic).
 *
 * Where the driver reads by offsets without a group (the platformatic driver's Fetch: `KafkaDriver.createReader`),
 * a read joins none. kafkajs 2.2.4 has no `assign()`, so there a read joins a uniquely named group
 * (`groupIdPrefix` + random), seeks each partition to its start on every join, never commits, and deletes
 * the group when it ends.
 */
export class Replay<T = unknown> extends Observable<ReplayRecord<T>> {
  /** Emits once per read when it has caught up; subscribe before the replay itself. */
  readonly caughtUp$: Observable<CaughtUp>;
  readonly #caughtUp = new Subject<CaughtUp>();
  readonly #closing = new Set<Promise<void>>();
  readonly #reads = new Set<ReplayRead<T>>();
  #latest: ReplayRead<T> | undefined;

  constructor(topic: string, options: ResolvedReplayOptions<T>) {
    super((subscriber) => {
      const driver = createDriver(options.driver, options.kafkaConfig, options.logger);
      const read = new ReplayRead(topic, options, driver, subscriber, this.#caughtUp);
      this.#reads.add(read);
      this.#latest = read;
      void read.start();
      return () => {
        this.#reads.delete(read);
        const closing = read.stop();
        this.#closing.add(closing);
        void closing.finally(() => this.#closing.delete(closing));
      };
    });
    this.caughtUp$ = this.#caughtUp.asObservable();
  }

  /**
   * The connection actor of the latest read (for the inspector: `startInspector({ sources: [connection] })`);
   * undefined before it starts, and for a read that had nothing to read.
   */
  get connection(): KafkaConnection | undefined {
    return this.#latest?.connection;
  }

  /**
   * The throwaway group of the latest read (deleted once that read has ended); undefined where the driver
   * reads without a group.
   */
  get groupId(): string | undefined {
    return this.#latest?.groupId;
  }

  /**
   * Ends every running read (as unsubscribing does) and resolves once their connections are closed and
   * their throwaway groups deleted, also for reads that already ended by themselves.
   */
  async close(): Promise<void> {
    for (const read of [...this.#reads]) read.subscriber.complete();
    await Promise.all([...this.#closing]);
  }
}

/**
 * Replays `topic`: from the earliest offset, a time or given offsets, until caught up or live.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` for a bad topic or option (at once, not on subscribe).
 */
export function replay<T = unknown>(topic: string, options: ReplayOptions<T> = {}): Replay<T> {
  return new Replay(topic, resolveReplayOptions(topic, options));
}

/** One subscription's read: bounds, the connection, the positions reached. */
class ReplayRead<T> {
  /** The throwaway group, where the driver cannot read without one. */
  readonly groupId: string | undefined;
  readonly subscriber: Subscriber<ReplayRecord<T>>;
  connection: KafkaConnection | undefined;
  readonly #topic: string;
  readonly #options: ResolvedReplayOptions<T>;
  readonly #driver: KafkaDriver;
  readonly #caughtUp: Subject<CaughtUp>;
  /** Per partition, the next offset to emit. */
  readonly #positions = new Map<number, bigint>();
  /** Partitions not yet at their captured end offset. */
  readonly #behind = new Set<number>();
  #bounds: ReplayBounds | undefined;
  #started: Promise<void> = Promise.resolve();
  #statusWatch: Subscription | undefined;

  constructor(
    topic: string,
    options: ResolvedReplayOptions<T>,
    driver: KafkaDriver,
    subscriber: Subscriber<ReplayRecord<T>>,
    caughtUp: Subject<CaughtUp>,
  ) {
    this.#topic = topic;
    this.#options = options;
    this.#driver = driver;
    this.subscriber = subscriber;
    this.#caughtUp = caughtUp;
    this.groupId = driver.createReader ? undefined : createReplayGroupId(options.groupIdPrefix);
  }

  start(): Promise<void> {
    this.#started = this.#start().catch((error: unknown) => this.subscriber.error(error));
    return this.#started;
  }

  async #start(): Promise<void> {
    const bounds = await resolveReplayBounds(
      this.#driver,
      this.#topic,
      this.#options.from,
      this.#options.logger,
    );
    this.#bounds = bounds;
    for (const [partition, offset] of bounds.start) {
      this.#positions.set(partition, offset);
      if (offset < (bounds.end.get(partition) ?? 0n)) this.#behind.add(partition);
    }
    if (this.subscriber.closed) return;
    // Nothing to read before the end: no connection needed unless the read goes on live.
    if (this.#behind.size === 0) {
      this.#reportCaughtUp();
      if (this.subscriber.closed) return;
    }
    const connection = this.#createConnection();
    this.connection = connection;
    this.#statusWatch = connection.status$.subscribe((status) => {
      if (status !== 'failed' || this.subscriber.closed) return;
      this.subscriber.error(
        new RxKafkaError('RXK_NOT_CONNECTED', `replay of ${this.#topic} lost its connection and gave up`, {
          topic: this.#topic,
          state: 'failed',
        }),
      );
    });
    await connection.connect();
  }

  #createConnection(): KafkaConnection {
    const connection = createKafkaConnection(
      { ...this.#options, driver: this.#driver },
      {
        kind: 'consumer',
        ...(this.groupId === undefined ? { withoutGroup: true } : { groupId: this.groupId }),
        // Never commit: a group is thrown away, and a commit would make it look like a real consumer.
        runSettings: { autoCommit: false },
        topics: [this.#topic],
        fromBeginning: true,
        eachBatch: async (batch) => this.#onBatch(batch),
      },
    );
    // Every join (the first, any rebalance, a reader's reconnect) starts each partition at the next offset
    // this read needs.
    connection.joins$.subscribe(({ assignment }) => {
      for (const partition of assignment[this.#topic] ?? []) {
        const position = this.#positions.get(partition);
        if (position !== undefined) connection.seek(this.#topic, partition, String(position));
      }
    });
    connection.skips$.subscribe(({ topic, partition, lastOffset }) => {
      if (topic === this.#topic) this.#skipped(partition, BigInt(lastOffset) + 1n);
    });
    return connection;
  }

  /**
   * Hands each record of the batch to the subscriber, synchronously: the next fetch of the partition waits
   * for the batch to return, so a read never holds more than one fetch of records. The batch cannot turn
   * stale while this loop runs (a rebalance or seek needs the event loop), so that is checked once.
   */
  #onBatch(payload: FetchedBatch): void {
    const { partition, messages } = payload.batch;
    if (messages.length === 0 || this.subscriber.closed || payload.isStale()) return;
    const position = this.#positions.get(partition) ?? 0n;
    // Offsets rise within a batch (with gaps after compaction): only its edges need comparing.
    let first = 0;
    while (first < messages.length && BigInt(messages[first].offset) < position) first += 1;
    const end = this.#bounds?.end.get(partition) ?? 0n;
    let stop = messages.length;
    if (this.#options.until === 'caught-up' && BigInt(messages[stop - 1].offset) >= end) {
      stop = messages.findIndex((message) => BigInt(message.offset) >= end);
    }
    let emitted = first;
    while (emitted < stop && !this.subscriber.closed) {
      this.subscriber.next(this.#toRecord(messages[emitted], partition));
      emitted += 1;
    }
    if (emitted > first) this.#positions.set(partition, BigInt(messages[emitted - 1].offset) + 1n);
    // A trailing transaction marker is in the fetch but not in `messages`: the position passes it too.
    const covered = payload.batch.lastOffset?.();
    if (covered !== undefined && !this.subscriber.closed) this.#skipped(partition, BigInt(covered) + 1n);
    // kafkajs fetches a partition again from its last resolved offset: without this it would fetch the same
    // batch for ever. Nothing is committed (the connection has no committer), so resolving is only that.
    payload.resolveOffset(messages[messages.length - 1].offset);
    this.#checkCaughtUp(partition);
  }

  /** The consumer passed records it never handed over (transaction markers, aborted records). */
  #skipped(partition: number, next: bigint): void {
    if (next <= (this.#positions.get(partition) ?? 0n)) return;
    this.#positions.set(partition, next);
    this.#checkCaughtUp(partition);
  }

  #checkCaughtUp(partition: number): void {
    const reached = this.#positions.get(partition) ?? 0n;
    if (this.subscriber.closed || !this.#behind.has(partition)) return;
    if (reached < (this.#bounds?.end.get(partition) ?? 0n)) return;
    this.#behind.delete(partition);
    if (this.#behind.size === 0) this.#reportCaughtUp();
  }

  /** The record as the server's parser decodes it, built in one object (this runs for every record). */
  #toRecord(message: FetchedRecord, partition: number): ReplayRecord<T> {
    const decode = this.#options.decode;
    return {
      topic: this.#topic,
      partition,
      offset: message.offset,
      timestamp: message.timestamp,
      size: message.size,
      attributes: message.attributes,
      key: decodeWireValue(message.key),
      value: decode ? decode(message.value, message) : (decodeWireValue(message.value) as T),
      headers: decodeHeaders(message.headers),
    };
  }

  #reportCaughtUp(): void {
    const offsets: Record<number, string> = {};
    for (const [partition, offset] of this.#bounds?.end ?? []) offsets[partition] = String(offset);
    this.#caughtUp.next({ topic: this.#topic, offsets });
    if (this.#options.until === 'caught-up') this.subscriber.complete();
  }

  /** Closes the connection and deletes the throwaway group if any (after the start settled: nothing is left). */
  async stop(): Promise<void> {
    await this.#started;
    const connection = this.connection;
    if (!connection) return;
    this.#statusWatch?.unsubscribe();
    try {
      await connection.close();
      connection.dispose();
      if (this.groupId !== undefined) await this.#driver.deleteGroup(this.groupId);
    } catch (error) {
      this.#options.logger.warn(`replay of ${this.#topic}: could not close, or delete its group`, {
        error,
        groupId: this.groupId,
      });
    }
  }
}
