/**
 * `projection()`: state folded from a topic by a reducer, kept up to date live, with read-your-writes
 * (`waitFor`) and snapshots in a compacted topic so a restart replays only what came after the latest one.
 */
import {
  BehaviorSubject,
  lastValueFrom,
  ReplaySubject,
  take,
  tap,
  type Observable,
  type Subscription,
} from 'rxjs';
import type { KafkaConnection } from '../connection/kafka-connection';
import { RxKafkaError } from '../errors';
import type { KafkaDriver } from '../kafka/kafka-driver';
import { createDriver } from '../options/create-driver';
import type { Logger } from '../logger';
import { checkDuration } from '../options/option-checks';
import { replay, type CaughtUp, type Replay, type ReplayRecord } from '../replay/replay';
import { resolveReplayOptions, type ReplayFrom, type ReplayOptions } from '../replay/replay-options';
import { OffsetWaiters, toTargets, type WrittenOffsets } from './offset-waiters';
import {
  createProjectionClosedError,
  resolveProjectionOptions,
  type ProjectionOptions,
  type ResolvedProjectionOptions,
} from './projection-options';
import { encodeSnapshot, readSnapshot, SNAPSHOT_VERSION } from './projection-snapshot';

/** Folds one record into the state; must not mutate `state` if `state$` observers keep old values. */
export type Reducer<S, T = unknown> = (state: S, record: ReplayRecord<T>) => S;

/** Options of one `waitFor()` call. */
export interface WaitForOptions {
  /** Overrides the projection's `waitForTimeoutMs`; 0: no limit. */
  readonly timeoutMs?: number;
}

/**
 * A projection of one topic. It starts at once: it loads its latest snapshot (if `snapshots` are set),
 * replays the source from the offsets that snapshot covers (or from the earliest), and then follows it.
 *
 * A reducer that throws stops the projection: `state$` errors with `RXK_REDUCER_FAILED` (the reducer's
 * error as its `cause`, the record's topic and partition in its context), the error is logged, waiters
 * are rejected with it, and no snapshot of the state after the last good record is written beyond those
 * already written. Restarting replays the failing record again.
 */
export class Projection<S, T = unknown> {
  /** The current state, replayed to each new subscriber (a BehaviorSubject's view); completes on close(). */
  readonly state$: Observable<S>;
  /** Emits once, when the projection has applied every record written before its source replay began. */
  readonly caughtUp$: Observable<CaughtUp>;

  readonly #topic: string;
  readonly #reducer: Reducer<S, T>;
  readonly #options: ResolvedProjectionOptions<S, T>;
  readonly #replayOptions: ReplayOptions<T>;
  readonly #logger: Logger;
  readonly #state$: BehaviorSubject<S>;
  /** The state itself: a BehaviorSubject's `value` throws once it errored, and the state outlives that. */
  #state: S;
  readonly #caughtUp$ = new ReplaySubject<CaughtUp>(1);
  /** Per source partition, the next offset not applied yet. */
  readonly #positions = new Map<number, bigint>();
  readonly #waiters = new OffsetWaiters(this.#positions);
  readonly #started: Promise<void>;
  #source: Replay<T> | undefined;
  #subscription: Subscription | undefined;
  #applied = 0;
  #sinceSnapshot = 0;
  #snapshotsWritten = 0;
  #restoredFrom: Readonly<Record<number, string>> | undefined;
  #stopped = false;
  #failure: unknown;
  #closing: Promise<void> | undefined;

  constructor(topic: string, reducer: Reducer<S, T>, initial: S, options: ResolvedProjectionOptions<S, T>) {
    this.#topic = topic;
    this.#reducer = reducer;
    this.#options = options;
    const base = resolveReplayOptions(topic, options.replay);
    this.#logger = base.logger;
    const driver: KafkaDriver = createDriver(base.driver, base.kafkaConfig, base.logger);
    // One client for the snapshot read and the source replay.
    this.#replayOptions = { ...options.replay, logger: base.logger, driver };
    this.#state = initial;
    this.#state$ = new BehaviorSubject(initial);
    this.state$ = this.#state$.asObservable();
    this.caughtUp$ = this.#caughtUp$.asObservable();
    this.#started = this.#start(driver).catch((error: unknown) => this.#fail(error));
  }

  /** The current state (after a failure: the state after the last record applied). */
  get state(): S {
    return this.#state;
  }

  /** Records applied since this projection started (a restart from a snapshot applies only the rest). */
  get applied(): number {
    return this.#applied;
  }

  /** Snapshots written (and acknowledged) since it started. */
  get snapshotsWritten(): number {
    return this.#snapshotsWritten;
  }

  /** The source offsets of the snapshot it started from; undefined when it started from scratch. */
  get restoredFrom(): Readonly<Record<number, string>> | undefined {
    return this.#restoredFrom;
  }

  /** The source replay's connection actor (for the inspector); undefined until it connects. */
  get connection(): KafkaConnection | undefined {
    return this.#source?.connection;
  }

  /**
   * Resolves once the projection has applied every offset in `offsets` (what `producer.send()` returned for
   * this topic, or `{ partition, offset }` entries): the state then includes those writes.
   * Rejects with `RXK_PROJECTION_TIMEOUT` after the timeout, `RXK_PROJECTION_CLOSED` on close(), the
   * projection's error once it failed, and `RXK_INVALID_OPTIONS` for offsets of another topic.
   */
  waitFor(offsets: WrittenOffsets, options: WaitForOptions = {}): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#stopped) return Promise.reject(createProjectionClosedError(this.#options.name, this.#topic));
    try {
      checkDuration('timeoutMs', options.timeoutMs, 'no limit');
      const targets = toTargets(offsets, this.#topic);
      const timeoutMs = options.timeoutMs ?? this.#options.waitForTimeoutMs;
      return this.#waiters.wait(targets, timeoutMs, () => this.#timeoutError(targets, timeoutMs));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Stops following the topic, writes a last snapshot (when snapshots are on and records were applied since
   * the last one), closes the connections and deletes their throwaway groups (on kafkajs). Calling it again
   * is harmless.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #start(driver: KafkaDriver): Promise<void> {
    const partitions = (await driver.fetchEndOffsets(this.#topic)).map(({ partition }) => partition);
    let from: ReplayFrom = 'earliest';
    const restored = this.#options.snapshots && (await this.#restore(driver, partitions));
    if (restored) {
      this.#state = restored.state;
      this.#state$.next(restored.state);
      this.#restoredFrom = restored.offsets;
      for (const [partition, offset] of Object.entries(restored.offsets)) {
        this.#positions.set(Number(partition), BigInt(offset));
      }
      from = { offsets: restored.offsets };
    } else {
      for (const { partition, low } of await driver.fetchStartOffsets(this.#topic)) {
        this.#positions.set(partition, BigInt(low));
      }
    }
    if (this.#stopped) return;
    const source = replay<T>(this.#topic, { ...this.#replayOptions, from, until: 'live' });
    this.#source = source;
    source.caughtUp$.pipe(take(1)).subscribe((caughtUp) => {
      this.#caughtUp$.next(caughtUp);
      this.#caughtUp$.complete();
    });
    this.#subscription = source.subscribe({
      next: (record) => this.#apply(record),
      error: (error: unknown) => this.#fail(error),
    });
  }

  /** The latest usable snapshot of this projection, or undefined (none, or one to ignore, with a warning). */
  async #restore(
    driver: KafkaDriver,
    partitions: readonly number[],
  ): Promise<{ state: S; offsets: Readonly<Record<number, string>> } | undefined> {
    const { topic: snapshotTopic } = this.#options.snapshots!;
    const { name } = this.#options;
    await driver.createTopicIfMissing(snapshotTopic, { 'cleanup.policy': 'compact' });
    const reader = replay(snapshotTopic, {
      ...this.#replayOptions,
      decode: (value, record) => ({ key: record.key?.toString('utf8'), value }),
      from: 'earliest',
      until: 'caught-up',
    });
    let latest: { value: Buffer | null } | undefined;
    await lastValueFrom(
      reader.pipe(tap(({ value }) => (value.key === name ? (latest = { value: value.value }) : undefined))),
      { defaultValue: undefined },
    );
    await reader.close();
    if (!latest) return undefined;
    const reading = readSnapshot(latest.value, this.#topic, partitions);
    const ignore = (reason: string) => {
      this.#logger.warn(
        `projection ${name}: ignoring its snapshot in ${snapshotTopic} (${reason}); rebuilding it from the earliest offsets of ${this.#topic}`,
        { topic: this.#topic, snapshotTopic, projection: name },
      );
      return undefined;
    };
    if (!reading.usable) return ignore(reading.reason);
    try {
      return { state: this.#options.deserialize(reading.snapshot.state), offsets: reading.snapshot.offsets };
    } catch (error) {
      return ignore(`deserialize() threw: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  #apply(record: ReplayRecord<T>): void {
    if (this.#stopped) return;
    let next: S;
    try {
      next = this.#reducer(this.#state, record);
    } catch (error) {
      this.#fail(
        new RxKafkaError(
          'RXK_REDUCER_FAILED',
          `projection ${this.#options.name} stopped: its reducer threw on ${record.topic}/${record.partition} offset ${record.offset}: ${(error as Error)?.message ?? String(error)}`,
          { topic: record.topic, partition: record.partition, cause: error },
        ),
      );
      return;
    }
    this.#applied += 1;
    this.#sinceSnapshot += 1;
    this.#positions.set(record.partition, BigInt(record.offset) + 1n);
    this.#state = next;
    this.#state$.next(next);
    this.#waiters.applied(record.partition);
    const snapshots = this.#options.snapshots;
    if (snapshots && this.#sinceSnapshot >= snapshots.every) void this.#writeSnapshot();
  }

  /** Queues a snapshot of the current state and positions; a failed write is logged, never fatal. */
  #writeSnapshot(): Promise<void> {
    const snapshots = this.#options.snapshots;
    const connection = this.#source?.connection;
    if (!snapshots || !connection) return Promise.resolve();
    this.#sinceSnapshot = 0;
    const offsets: Record<number, string> = {};
    for (const [partition, offset] of this.#positions) offsets[partition] = String(offset);
    const fields = { topic: this.#topic, snapshotTopic: snapshots.topic, projection: this.#options.name };
    let value: string;
    try {
      const state = this.#options.serialize(this.#state);
      value = encodeSnapshot({ version: SNAPSHOT_VERSION, sourceTopic: this.#topic, offsets, state });
    } catch (error) {
      this.#logger.warn(
        `projection ${this.#options.name}: its state could not be serialised for a snapshot`,
        {
          ...fields,
          error,
        },
      );
      return Promise.resolve();
    }
    return connection.produceQueue.send(snapshots.topic, [{ key: this.#options.name, value }]).then(
      () => void (this.#snapshotsWritten += 1),
      (error: unknown) =>
        this.#logger.warn(`projection ${this.#options.name}: a snapshot could not be written`, {
          ...fields,
          error,
        }),
    );
  }

  #fail(error: unknown): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#failure = error;
    this.#logger.error(`projection ${this.#options.name} of ${this.#topic} failed`, { error });
    this.#waiters.rejectAll(error);
    this.#state$.error(error);
    this.#caughtUp$.complete();
    this.#subscription?.unsubscribe();
  }

  async #close(): Promise<void> {
    const healthy = !this.#stopped;
    this.#stopped = true;
    await this.#started;
    // Queued before the source's connection closes: its drain flushes the produce queue first.
    const last = healthy && this.#sinceSnapshot > 0 ? this.#writeSnapshot() : Promise.resolve();
    this.#subscription?.unsubscribe();
    await last;
    await this.#source?.close();
    this.#waiters.rejectAll(createProjectionClosedError(this.#options.name, this.#topic));
    this.#state$.complete();
    this.#caughtUp$.complete();
  }

  #timeoutError(targets: ReadonlyMap<number, bigint>, timeoutMs: number): RxKafkaError {
    const wanted = [...targets].map(([partition, offset]) => `${partition}@${offset}`).join(', ');
    const at = [...this.#positions].map(([partition, offset]) => `${partition}@${offset}`).join(', ');
    return new RxKafkaError(
      'RXK_PROJECTION_TIMEOUT',
      `projection ${this.#options.name} had not applied offsets ${wanted} of ${this.#topic} after ${timeoutMs} ms (next to apply: ${at || 'none yet'})`,
      { topic: this.#topic, retriable: true },
    );
  }
}

/**
 * Folds `topic` into a state with `reducer`, from `initial` (or the latest snapshot), and keeps following it.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` for a bad topic, reducer or option (at once).
 */
export function projection<S, T = unknown>(
  topic: string,
  reducer: Reducer<S, T>,
  initial: S,
  options: ProjectionOptions<S, T> = {},
): Projection<S, T> {
  return new Projection(topic, reducer, initial, resolveProjectionOptions(topic, reducer, options));
}
