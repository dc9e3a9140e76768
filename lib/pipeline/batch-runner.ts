import type { FetchedBatch } from '../kafka/fetched-batch';
import type { DispatchMode } from '../connection/kafka-connection';
import type { PartitionProgressBook } from '../delivery/partition-progress';
import { toRawRecord, type RawKafkaRecord } from '../wire/parser';
import { OffsetTracker } from '../delivery/offset-tracker';
import { isPromiseLike } from './to-observable';

export type Ordering = 'partition' | 'key';

export interface BatchRunnerOptions {
  /** 'partition': one record at a time in offset order. 'key': records with different keys run concurrently. */
  readonly ordering: Ordering;
  /**
   * Records of one partition in flight at once: with 'key', handlers running; with both orderings, records
   * whose handlers are done but whose output Kafka has not acknowledged yet.
   */
  readonly maxInFlightPerPartition: number;
  /**
   * Handles one record. Resolves once its handlers are done (the partition's next record may start), with
   * `acked` settling once its replies or dead letters are acknowledged (its offset may then be resolved);
   * rejects, or rejects `acked`, when the record must be redelivered. `heartbeat` keeps the member in the
   * group during long handlers.
   */
  readonly handle: (
    record: RawKafkaRecord,
    heartbeat: () => Promise<void>,
  ) => HandledRecord | void | Promise<HandledRecord | void>;
  /**
   * What batches may do now, read from the connection's machine (`KafkaConnection.dispatchMode`): after
   * close() began no new batch starts, and once it abandons nothing more is resolved.
   */
  readonly dispatchMode: () => DispatchMode;
  /** Told how far each partition's finished prefix has come, once per resolve (the partition actors read it). */
  readonly progress?: PartitionProgressBook;
}

/** A record whose handlers are done; `acked` settles when what they produced is in Kafka. */
export interface HandledRecord {
  readonly acked: Promise<void>;
}

/** What the runner did, for the drain report. */
export interface BatchRunnerStats {
  /** Records fully handled (their offsets resolved for commit). */
  readonly finished: number;
  /** Records whose handlers were still running when an abandoning close cut them off. */
  readonly abandoned: number;
}

const HEARTBEAT_EVERY_MS = 1_000;

/**
 * Runs the records of kafkajs batches through the handler, and resolves an offset only once the record and
 * every record before it in the partition are finished and acknowledged (so the committer commits nothing
 * unfinished). Handlers run in offset order (per key with 'key'); a record's replies are acknowledged
 * while the next record's handler already runs, so one produce round trip per record does not bound a
 * partition's throughput (NestJS gets the same overlap by not waiting for replies at all, and commits
 * records whose replies may never be written).
 *
 * kafkajs runs up to `partitionsConsumedConcurrently` batches of different partitions at once, and fetches
 * a partition's next batch only when this one returns: that is the backpressure, at the source.
 */
export class BatchRunner {
  readonly #options: BatchRunnerOptions;
  /** Batches being run, each with the function that lets it return at once (an abandoning close). */
  readonly #active = new Map<Promise<void>, () => void>();
  #finished = 0;
  #abandoned = 0;
  /** Handlers started and not yet settled, across all partitions: what an abandoning close cuts off. */
  #running = 0;

  constructor(options: BatchRunnerOptions) {
    this.#options = options;
  }

  get stats(): BatchRunnerStats {
    return { finished: this.#finished, abandoned: this.#abandoned };
  }

  /** The kafkajs `eachBatch` callback. */
  readonly eachBatch = async (payload: FetchedBatch): Promise<void> => {
    // After close() began, a new batch is left alone: unresolved, it is redelivered to the partition's next owner.
    if (this.#options.dispatchMode() !== 'running') return;
    const run = this.#run(payload);
    run.catch(() => undefined);
    // An abandoning close returns the batch to kafkajs at once, while the cut-off work goes on unobserved
    // (it resolves no offset and starts no record once abandoning). Each batch registers its own release
    // and removes it when done: racing every batch against one long-lived "abandoned" promise would leave
    // a reaction on that promise per batch, a leak of one closure per batch for the server's whole life.
    let release!: () => void;
    const settled = new Promise<void>((resolve, reject) => {
      release = resolve;
      run.then(resolve, reject);
    });
    this.#active.set(settled, release);
    try {
      await settled;
    } finally {
      this.#active.delete(settled);
    }
  };

  /**
   * Resolves once no batch is running: each returned after its handlers (and their replies) finished, or
   * was released by abandon(). Call it once dispatchMode() has left 'running' (no new batch starts then).
   */
  async finish(): Promise<void> {
    await Promise.allSettled([...this.#active.keys()]);
  }

  /**
   * Stops waiting for running handlers: their batches return to the driver at once, and the handlers, left
   * to run unobserved, resolve nothing (dispatchMode() is 'abandon'), so their records are redelivered.
   * The connection's machine calls it on entering `draining.abandoning`.
   */
  abandon(): void {
    this.#abandoned += this.#running;
    for (const release of this.#active.values()) release();
  }

  #run(payload: FetchedBatch): Promise<void> {
    return this.#options.ordering === 'key' ? this.#runByKey(payload) : this.#runInOrder(payload);
  }

  /**
   * 'partition' ordering: one record at a time, in offset order. A handler that finishes synchronously
   * (most event handlers) costs no promise here: the loop goes straight on, and the finished prefix is
   * resolved with kafkajs once before the loop next waits, not once per record.
   */
  async #runInOrder(payload: FetchedBatch): Promise<void> {
    const { batch, heartbeat } = payload;
    const { messages, topic, partition } = batch;
    const progress = new BatchProgress(payload, this);
    const slots = new Slots(this.#options.maxInFlightPerPartition);
    let lastHeartbeat = Date.now();

    for (let index = 0; index < messages.length; index++) {
      if (progress.failed || this.#mustStop(payload)) break;
      if (!slots.tryAcquire()) {
        progress.resolveFinished();
        await slots.acquire();
        if (progress.failed || this.#mustStop(payload)) {
          slots.release();
          break;
        }
      }
      let handled: HandledRecord | void;
      this.#running += 1;
      try {
        const result = this.#options.handle(toRawRecord(messages[index], topic, partition), heartbeat);
        if (isPromiseLike(result)) {
          progress.resolveFinished();
          handled = await result;
        } else {
          handled = result;
        }
      } catch (error) {
        slots.release();
        progress.fail(error);
        break;
      } finally {
        this.#running -= 1;
      }
      if (handled) {
        progress.finishWhenAcked(index, handled.acked, () => slots.release());
      } else {
        progress.finish(index);
        slots.release();
      }
      if (Date.now() - lastHeartbeat >= HEARTBEAT_EVERY_MS) {
        lastHeartbeat = Date.now();
        progress.resolveFinished();
        try {
          await heartbeat();
        } catch (error) {
          // A rebalance: start nothing more, but let the replies in flight be acknowledged and resolved
          // before the batch returns, so kafkajs neither rejoins nor resolves anything behind our back.
          progress.fail(error);
          break;
        }
      }
    }
    await progress.settle();
    if (this.isAbandoning()) return;
    progress.throwIfFailed();
    await heartbeat();
  }

  /** 'key' ordering: records with different keys run concurrently, each key's in offset order. */
  async #runByKey(payload: FetchedBatch): Promise<void> {
    const { batch, heartbeat } = payload;
    const progress = new BatchProgress(payload, this);
    const slots = new Slots(this.#options.maxInFlightPerPartition);
    // Records without a key share one chain.
    const chains = new Map<string, Promise<void>>();
    let lastHeartbeat = Date.now();
    // A record not started (queued behind its chain, or waiting for a slot) stays unresolved once the batch
    // must stop: it waits for redelivery.
    const mayStart = (): boolean => !progress.failed && !this.#mustStop(payload);

    for (const [index, message] of batch.messages.entries()) {
      const key = message.key ? message.key.toString('latin1') : '';
      const start = async (): Promise<void> => {
        if (!mayStart()) return;
        // The slot is taken only once the chain's previous handler is done, so a hot key's queue holds no
        // slot that another key could use; it is given back when the record is acknowledged.
        if (!slots.tryAcquire()) {
          await slots.acquire();
          if (!mayStart()) {
            slots.release();
            return;
          }
        }
        let handled: HandledRecord | void;
        this.#running += 1;
        try {
          handled = await this.#options.handle(toRawRecord(message, batch.topic, batch.partition), heartbeat);
        } catch (error) {
          slots.release();
          throw error;
        } finally {
          this.#running -= 1;
        }
        if (handled) progress.finishWhenAcked(index, handled.acked, () => slots.release());
        else {
          progress.finish(index);
          progress.resolveFinished();
          slots.release();
        }
        if (Date.now() - lastHeartbeat >= HEARTBEAT_EVERY_MS) {
          lastHeartbeat = Date.now();
          await heartbeat();
        }
      };
      // A chain's first record starts at once (synchronously up to the handler's first await).
      const previous = chains.get(key);
      const chained = (previous ? previous.then(start) : start()).catch((error: unknown) =>
        progress.fail(error),
      );
      chains.set(key, chained);
    }
    await Promise.all(chains.values());
    await progress.settle();
    if (this.isAbandoning()) return;
    progress.throwIfFailed();
    await heartbeat();
  }

  /** Counts records whose offsets were resolved (BatchProgress reports them). */
  countFinished(records: number, payload: FetchedBatch, offset: string): void {
    this.#finished += records;
    this.#options.progress?.recordsFinished(payload.batch.topic, payload.batch.partition, records, offset);
  }

  /** True once an abandoning close began: nothing more may be resolved. */
  isAbandoning(): boolean {
    return this.#options.dispatchMode() === 'abandon';
  }

  #mustStop(payload: FetchedBatch): boolean {
    return this.#options.dispatchMode() !== 'running' || !payload.isRunning() || payload.isStale();
  }
}

/**
 * One batch's bookkeeping: which records are finished, the first failure, and the acknowledgements still
 * due. Offsets are resolved with kafkajs only as the contiguous finished prefix grows (see OffsetTracker),
 * and lazily: `resolveFinished()` hands kafkajs the latest one, which is all it keeps.
 */
class BatchProgress {
  readonly #payload: FetchedBatch;
  readonly #runner: BatchRunner;
  readonly #tracker: OffsetTracker;
  readonly #acks: Array<Promise<void>> = [];
  #failure: { error: unknown } | undefined;
  /** The newest offset of the finished prefix not yet handed to kafkajs. */
  #unresolved: string | undefined;
  #resolvedPrefix = 0;

  constructor(payload: FetchedBatch, runner: BatchRunner) {
    this.#payload = payload;
    this.#runner = runner;
    this.#tracker = new OffsetTracker(payload.batch.messages.map((message) => message.offset));
  }

  get failed(): boolean {
    return this.#failure !== undefined;
  }

  fail(error: unknown): void {
    this.#failure ??= { error };
  }

  /** The record at `index` is done and produced nothing that needs acknowledging. */
  finish(index: number): void {
    const offset = this.#tracker.complete(index);
    if (offset !== undefined) this.#unresolved = offset;
  }

  /** The record at `index` is done once `acked` resolves; `release` runs either way. */
  finishWhenAcked(index: number, acked: Promise<void>, release: () => void): void {
    this.#acks.push(
      acked.then(
        () => {
          release();
          this.finish(index);
          this.resolveFinished();
        },
        (error: unknown) => {
          release();
          this.fail(error);
        },
      ),
    );
  }

  /** Hands kafkajs the finished prefix (unless an abandoning close began: then nothing more is resolved). */
  resolveFinished(): void {
    const offset = this.#unresolved;
    if (offset === undefined || this.#runner.isAbandoning()) return;
    this.#unresolved = undefined;
    this.#payload.resolveOffset(offset);
    const prefix = this.#tracker.finishedPrefix;
    this.#runner.countFinished(prefix - this.#resolvedPrefix, this.#payload, offset);
    this.#resolvedPrefix = prefix;
  }

  /** Waits for every acknowledgement due, then resolves what finished. */
  async settle(): Promise<void> {
    this.resolveFinished();
    await Promise.all(this.#acks);
    this.resolveFinished();
  }

  throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}

/** A counting semaphore: at most `size` holders; waiters are served in arrival order. */
class Slots {
  readonly #waiters: Array<() => void> = [];
  #free: number;

  constructor(size: number) {
    this.#free = size;
  }

  /** Takes a slot if one is free, without waiting. */
  tryAcquire(): boolean {
    if (this.#free === 0) return false;
    this.#free -= 1;
    return true;
  }

  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free += 1;
  }
}
