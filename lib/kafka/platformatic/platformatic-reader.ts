/**
 * A reader on @platformatic/kafka: every partition of its topics, read with the library's own Fetch
 * (`consumer.fetch()`, one request per partition leader) from positions it keeps itself, without joining a
 * consumer group. `replay()` reads through it, so a replay leaves no group behind and no rebalance can move
 * its partitions.
 *
 * It is a DriverConsumer with the port's events: it reports the partitions it reads as its join (no member
 * id, no generation), once `consume()` has resolved, so the connection's chart goes `joining` → `assigned` as
 * for a group member; the join's listeners may seek before the first fetch. It commits nothing.
 *
 * A failed fetch is tried again (the leader moved, a broker restarts) with growing waits, each streak logged
 * once. Past the last wait it reports `crashed` with `restart: true` (the chart shows `reconnecting`) and
 * goes on while the broker cannot be reached, reporting its partitions again once a fetch answers. A position
 * out of the partition's kept range moves to its start, with a warning. A failure that retrying cannot mend
 * (an authorization refusal), or any other past the last wait, is `crashed` with `restart: false`.
 */
import type { Consumer } from '@platformatic/kafka' with { 'resolution-mode': 'import' };
import { RxKafkaError } from '../../errors';
import type { Logger } from '../../logger';
import type { TopicPartitionOffsets } from '../fetched-batch';
import type { ConsumeSettings, DriverConsumer, DriverConsumerEvent } from '../kafka-driver';
import type { ConnectSteps } from './connect-steps';
import { toTopicNames } from './consumer-refusals';
import { fetchRound, type FetchedPart } from './fetch-round';
import { readFetchedPartition } from './fetched-partition';
import { fromPartitionKey, toAssignment, toPartitionKey } from './partition-keys';
import { PlatformaticBatch, type BatchOwner } from './platformatic-batch';
import { findKafkaErrorName } from './platformatic-errors';
import type { PlatformaticKafka } from './platformatic-library';
import {
  toPlatformaticRunOptions,
  type PlatformaticBaseOptions,
  type PlatformaticConsumerOptions,
} from './platformatic-options';
import { requireTopics } from './require-topics';
import { ResolvedOffsets } from './resolved-offsets';
import { mayRestartAgain } from './restart-policy';

type NativeConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;

/** Kafka's ListOffsets timestamps for "the end" and "the start" of a partition. */
const LATEST = -1n;
const EARLIEST = -2n;
/**
 * The waits between fetches that failed in a row. Past the last, the reader reports a crash it restarts
 * from, and goes on at that interval while the broker cannot be reached (see mayRestartAgain).
 */
const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [100, 200, 500, 1_000, 2_000, 5_000];
const OUT_OF_RANGE = new Set(['OFFSET_OUT_OF_RANGE']);

export interface PlatformaticReaderSetup {
  readonly library: PlatformaticKafka;
  readonly base: PlatformaticBaseOptions;
  readonly options: PlatformaticConsumerOptions;
  readonly logger: Logger;
  readonly steps: ConnectSteps;
  /** The names of the cluster's topics (asked on a client of its own). */
  readonly listTopics: () => Promise<string[]>;
  /** The waits after failed fetches (a spec shortens them). @defaultValue DEFAULT_RETRY_DELAYS_MS */
  readonly retryDelaysMs?: readonly number[];
}

export class PlatformaticReader implements DriverConsumer, BatchOwner {
  readonly offsets = new ResolvedOffsets();
  /** A reader never joins: its batches turn stale only by a seek of their partition. */
  readonly generation = 0;
  readonly #setup: PlatformaticReaderSetup;
  readonly #listeners = new Set<(event: DriverConsumerEvent) => void>();
  /** Per partition key, the next offset to fetch. */
  readonly #positions = new Map<string, bigint>();
  readonly #seekCounts = new Map<string, number>();
  readonly #paused = new Set<string>();
  /** Waits of the read loop, cut short by a close. */
  readonly #sleeps = new Set<() => void>();
  #native: NativeConsumer | undefined;
  #topics: readonly string[] = [];
  /** The partitions read, as the latest join reported them. */
  #assignment: Record<string, number[]> = {};
  /** Turns the order partitions are asked in, so no partition waits behind the others' data for ever. */
  #rotation = 0;
  #eachBatch: ConsumeSettings['eachBatch'] | undefined;
  #running = false;
  /** Batches the runtime is handling now: a disconnect waits for them, not for a fetch in flight. */
  readonly #handingOver = new Set<Promise<void>>();

  constructor(setup: PlatformaticReaderSetup) {
    this.#setup = setup;
  }

  /** The current @platformatic/kafka `Consumer` (a new one after each connect); it never joins its group. */
  get native(): unknown {
    return this.#native;
  }

  isRunning(): boolean {
    return this.#running;
  }

  seeksOf(topic: string, partition: number): number {
    return this.#seekCounts.get(toPartitionKey(topic, partition)) ?? 0;
  }

  async connect(): Promise<void> {
    await this.#close();
    // The connection's partition actors start unpaused after a reconnect: so does the read.
    this.#paused.clear();
    const { library, base, options } = this.#setup;
    const native = new library.Consumer({
      ...base,
      ...options,
      // The library asks for one; it is never joined, so no group comes to exist.
      groupId: `${base.clientId}-reader`,
      autocommit: false,
    }) as NativeConsumer;
    this.#native = native;
    await this.#setup.steps.connect(async () => {
      await native.metadata({ topics: [] });
    });
  }

  async disconnect(): Promise<void> {
    await this.#close();
  }

  async consume(settings: ConsumeSettings): Promise<void> {
    const topics = toTopicNames(settings.topics);
    toPlatformaticRunOptions((settings.librarySettings ?? {}) as Record<string, unknown>);
    const native = this.#requireNative();
    const keys = await this.#setup.steps.authorized(
      async () => {
        await requireTopics(this.#setup, () => native, topics);
        return this.#startPositions(native, topics, settings.fromBeginning);
      },
      { topics },
    );
    this.#eachBatch = settings.eachBatch;
    this.#topics = topics;
    this.#running = true;
    // After consume() resolved, as a group member's join comes: the connection then waits for it.
    setImmediate(() => {
      if (!this.#running || native !== this.#native) return;
      this.#assignment = toAssignment(keys);
      this.#emit({ type: 'group.joined', memberId: '', assignment: this.#assignment });
      void this.#read(native).catch((error: unknown) => this.#crash(native, error));
    });
  }

  seek(topic: string, partition: number, offset: string): void {
    const key = toPartitionKey(topic, partition);
    this.offsets.seek(topic, partition, offset);
    this.#positions.set(key, BigInt(offset));
    this.#seekCounts.set(key, this.seeksOf(topic, partition) + 1);
  }

  /** Its records are not fetched until resume(); a fetch on its way is handed over first. */
  pause(topic: string, partition: number): void {
    this.#paused.add(toPartitionKey(topic, partition));
  }

  /** Fetches the partition again, from the record after the last one handled. */
  resume(topic: string, partition: number): void {
    this.#paused.delete(toPartitionKey(topic, partition));
  }

  commitOffsets(offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>): Promise<void> {
    const topics = [...new Set(offsets.map(({ topic }) => topic))].join(', ');
    return Promise.reject(
      new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        `a read without a consumer group has no group to commit offsets of ${topics} to: turn its autoCommit off`,
        { path: 'runSettings.autoCommit' },
      ),
    );
  }

  /** BatchOwner's commit: a batch's commitOffsetsIfNecessary() with offsets due fails alike. */
  commit(offsets: TopicPartitionOffsets): Promise<void> {
    return this.commitOffsets(
      offsets.topics.flatMap(({ topic, partitions }) => partitions.map((p) => ({ topic, ...p }))),
    );
  }

  onEvent(listener: (event: DriverConsumerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #close(): Promise<void> {
    this.#running = false;
    for (const wake of this.#sleeps) wake();
    const native = this.#native;
    this.#native = undefined;
    // The read loop ends at its fetch in flight, which hands nothing over once this reader stopped running
    // (the library may take its request timeout to fail it).
    if (native) await new Promise<void>((resolve) => native.close(true, () => resolve()));
    await Promise.allSettled(this.#handingOver);
  }

  #requireNative(): NativeConsumer {
    const native = this.#native;
    if (!native) {
      throw new RxKafkaError('RXK_NOT_CONNECTED', 'the reader is not connected: connect() first', {});
    }
    return native;
  }

  /**
   * Every partition of `topics`, each at the position a seek gave it, else at its start or end: the keys
   * read. The positions of a previous connect stay (a reconnect reads on from where it was).
   */
  async #startPositions(
    native: NativeConsumer,
    topics: readonly string[],
    fromBeginning: boolean,
  ): Promise<string[]> {
    const offsets = await native.listOffsets({
      topics: [...topics],
      timestamp: fromBeginning ? EARLIEST : LATEST,
    });
    const keys: string[] = [];
    for (const topic of topics) {
      (offsets.get(topic) ?? []).forEach((offset, partition) => {
        const key = toPartitionKey(topic, partition);
        keys.push(key);
        if (!this.#positions.has(key)) this.#positions.set(key, offset);
      });
    }
    return keys;
  }

  async #read(native: NativeConsumer): Promise<void> {
    let failures = 0;
    let restarting = false;
    while (this.#running && native === this.#native) {
      let fetched: FetchedPart[] | undefined;
      try {
        fetched = await this.#fetchOnce(native);
      } catch (error) {
        if (!this.#running || native !== this.#native) return;
        const outOfRange = findKafkaErrorName(error, OUT_OF_RANGE) !== undefined;
        if (outOfRange && (await this.#moveIntoRange(native).catch(() => 0)) > 0) continue;
        const delays = this.#retryDelays();
        if (!outOfRange && !isRetriable(error)) throw error;
        if (!mayRestartAgain(delays, failures, error)) throw error;
        if (failures === 0) {
          this.#setup.logger.warn(
            `${this.#setup.base.clientId}: a fetch without a group failed; trying again`,
            { error },
          );
        }
        // Past the last wait the chart says so: `reconnecting` until a fetch answers again, as a group
        // member's restart would.
        if (failures === delays.length - 1) {
          restarting = true;
          this.#emit({ type: 'crashed', error, restart: true });
        }
        native.clearMetadata();
        await this.#sleep(delays[Math.min(failures, delays.length - 1)]);
        failures += 1;
        continue;
      }
      failures = 0;
      if (restarting) {
        // The connection's partition actors start unpaused after a restart, as after a reconnect.
        this.#paused.clear();
        restarting = false;
        this.#emit({ type: 'group.joined', memberId: '', assignment: this.#assignment });
      }
      // Nothing asked (every partition paused): look again shortly, as a fetch's wait would.
      if (fetched === undefined) await this.#sleep(Math.max(this.#setup.options.maxWaitTime, 10));
      else await Promise.all(fetched.map((part) => this.#handOver(part)));
    }
  }

  /** One round of the read: its partitions' parts of the Fetch answers (undefined: nothing to ask). */
  #fetchOnce(native: NativeConsumer): Promise<FetchedPart[] | undefined> {
    return fetchRound(native, {
      topics: this.#topics,
      positions: this.#positions,
      paused: this.#paused,
      maxBytesPerPartition: this.#setup.options.maxBytesPerPartition,
      seeksOf: (topic, partition) => this.seeksOf(topic, partition),
      nextRotation: () => this.#rotation++,
      addPartitions: (gained) => {
        for (const { topic, partition } of gained) {
          this.#assignment = {
            ...this.#assignment,
            [topic]: [...(this.#assignment[topic] ?? []), partition],
          };
        }
        this.#emit({ type: 'group.joined', memberId: '', assignment: this.#assignment });
      },
    });
  }

  /** The partition's fetched records to the runtime, then its next position (unless a seek moved it). */
  async #handOver({ request, batches, highWatermark, aborted }: FetchedPart): Promise<void> {
    const { topic, partition, from, seeks } = request;
    const { records, next } = readFetchedPartition(topic, partition, batches, from, aborted);
    if (next === undefined || !this.#running || this.seeksOf(topic, partition) !== seeks) return;
    const key = toPartitionKey(topic, partition);
    if (records.length > 0) {
      const batch = new PlatformaticBatch(topic, partition, records, this, highWatermark);
      const handling = Promise.resolve(this.#eachBatch?.(batch));
      this.#handingOver.add(handling);
      try {
        await handling;
      } finally {
        this.#handingOver.delete(handling);
      }
      if (!this.#running || this.seeksOf(topic, partition) !== seeks) return;
      const lastResolved = this.offsets.lastResolved(topic, partition);
      const lastRecord = BigInt(records[records.length - 1].offset);
      // Read again from the first record not handled, as kafkajs does with unresolved offsets.
      if (lastResolved === undefined || lastResolved < lastRecord) {
        this.#positions.set(
          key,
          lastResolved === undefined || lastResolved < from ? from : lastResolved + 1n,
        );
        return;
      }
    }
    this.#positions.set(key, next);
    const lastHandedOver = records.length > 0 ? BigInt(records[records.length - 1].offset) : from - 1n;
    // Transaction markers or aborted records past the last record: a reader waiting for an end offset
    // needs to know the position passed them.
    if (next - 1n > lastHandedOver) {
      this.#emit({ type: 'records.skipped', topic, partition, lastOffset: (next - 1n).toString() });
    }
  }

  /**
   * Positions outside a partition's kept range (below its start: records deleted meanwhile; past its end: a
   * leader that lost records, a topic made again) move to its edge, with a warning each; how many moved.
   */
  async #moveIntoRange(native: NativeConsumer): Promise<number> {
    const topics = [...this.#topics];
    const [starts, ends] = await Promise.all([
      native.listOffsets({ topics, timestamp: EARLIEST }),
      native.listOffsets({ topics, timestamp: LATEST }),
    ]);
    let moved = 0;
    for (const [key, position] of this.#positions) {
      const { topic, partition } = fromPartitionKey(key);
      const start = starts.get(topic)?.[partition];
      const end = ends.get(topic)?.[partition];
      const edge =
        start !== undefined && position < start
          ? start
          : end !== undefined && position > end
            ? end
            : undefined;
      if (edge === undefined) continue;
      this.#setup.logger.warn(
        `${this.#setup.base.clientId}: ${topic} partition ${partition} has no offset ${position} ` +
          `(it keeps ${start ?? '?'} to ${end ?? '?'}): reading on from ${edge}`,
        { topic, partition, offset: position.toString(), start: start?.toString(), end: end?.toString() },
      );
      this.#positions.set(key, edge);
      moved += 1;
    }
    return moved;
  }

  #crash(native: NativeConsumer, error: unknown): void {
    if (!this.#running || native !== this.#native) return;
    this.#running = false;
    this.#emit({ type: 'crashed', error, restart: false });
  }

  /** Waits `ms`, or less if the reader closes meanwhile. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#sleeps.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#sleeps.add(wake);
    });
  }

  #retryDelays(): readonly number[] {
    return this.#setup.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  }

  #emit(event: DriverConsumerEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}

/** @platformatic/kafka marks each error it would try again; a plain Error (no leader yet) is retried too. */
function isRetriable(error: unknown): boolean {
  const found = (error as { findBy?: (property: string, value: unknown) => unknown }).findBy?.(
    'canRetry',
    false,
  );
  return !found;
}
