import type { FetchedBatch } from '../kafka/fetched-batch';
import { toRawRecord } from '../wire/parser';
import type { CommitHold } from '../offsets/commit-holds';
import { BatchProgress, type ProgressOwner } from '../offsets/batch-progress';
import { Slots } from './slots';
import { isPromiseLike } from './to-observable';
import type {
  BatchRunnerOptions,
  BatchRunnerStats,
  DeferredRecord,
  HandledRecord,
} from './batch-runner-options';
import { chainByKey } from './key-chains';

const DEFAULT_DETACH_AFTER_MS = 200;

const HEARTBEAT_EVERY_MS = 1_000;

/** One batch run with 'key' ordering, shared by its keys' loops. */
interface KeyedRun {
  readonly payload: FetchedBatch;
  readonly progress: BatchProgress;
  readonly slots: Slots;
  /** Each record's next record of the same key, by index; -1 for a key's last. */
  readonly nextOfKey: Int32Array;
  lastHeartbeat: number;
  /** A record of the batch was not due yet: no record starts after it. */
  deferred: boolean;
}

/**
 * Runs the records of kafkajs batches through the handler, and resolves an offset only once the record and
 * every record before it in the partition are finished and acknowledged (so the committer commits nothing
 * unfinished). Handlers run in offset order (per key with 'key'); a record's replies are acknowledged
 * while the next record's handler already runs, so one produce round trip per record does not bound a
 * partition's throughput (NestJS gets the same overlap by not waiting for replies at all, and commits
 * records whose replies may never be written).
 *
 * kafkajs runs up to `partitionsConsumedConcurrently` batches of different partitions at once, and fetches
 * a partition's next batch only when this one returns: that is the backpressure, at the source. With
 * `detach`, a batch returns once its handlers are done; its replies still due keep their partition's
 * in-flight slots and hold its commits back (see CommitHolds), so a reply that takes long (an unknown reply
 * topic) holds no other partition's fetches.
 */
export class BatchRunner implements ProgressOwner {
  readonly #options: BatchRunnerOptions;
  /** Batches being run, each with the function that lets it return at once (an abandoning close). */
  readonly #active = new Map<Promise<void>, () => void>();
  #finished = 0;
  #abandoned = 0;
  /** Handlers started and not yet settled, across all partitions: what an abandoning close cuts off. */
  #running = 0;
  /** Each partition's in-flight slots, shared by its batches (a returned batch's replies keep theirs). */
  readonly #slots = new Map<string, Slots>();
  /** Returned batches still waiting for acknowledgements, and what they hold back from commits. */
  readonly #tails = new Set<Promise<void>>();
  /** Ends finish()'s wait for the returned batches' replies: abandon() calls it. */
  #stopWaitingForTails: (() => void) | undefined;

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
    const { topic, partition, messages } = payload.batch;
    if (messages.length > 0) this.#options.offsets.holds.arrived(topic, partition, messages[0].offset);
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
    // Returned batches' replies too, unless abandon() comes first: their records then stay uncommitted.
    const abandoned = new Promise<void>((resolve) => (this.#stopWaitingForTails = resolve));
    if (this.isAbandoning()) return;
    await Promise.race([this.#settleTails(), abandoned]);
    this.#stopWaitingForTails = undefined;
  }

  /**
   * The member joined a new group generation: kafkajs fetches every partition it owns from the committed
   * offset again, so the returned batches' records still waiting are redelivered (their holds are void:
   * the offsets owner clears them) and give their slots up.
   */
  regroup(): void {
    this.#slots.clear();
  }

  /**
   * Stops waiting for running handlers: their batches return to the driver at once, and the handlers, left
   * to run unobserved, resolve nothing (dispatchMode() is 'abandon'), so their records are redelivered.
   * The connection's machine calls it on entering `draining.abandoning`.
   */
  abandon(): void {
    this.#abandoned += this.#running;
    for (const release of this.#active.values()) release();
    this.#stopWaitingForTails?.();
  }

  async #run(payload: FetchedBatch): Promise<void> {
    try {
      await (this.#options.ordering === 'key' ? this.#runByKey(payload) : this.#runInOrder(payload));
    } catch (error) {
      // A failed batch (a rebalance shows this way) sends kafkajs to rejoin or refetch: the returned batches'
      // replies are waited for first, so their records are finished, not redelivered, where they can be.
      await this.#settleTails();
      throw error;
    }
  }

  async #settleTails(): Promise<void> {
    while (this.#tails.size > 0) await Promise.allSettled([...this.#tails]);
  }

  #slotsOf(topic: string, partition: number): Slots {
    const key = `${topic}/${partition}`;
    let slots = this.#slots.get(key);
    if (!slots) this.#slots.set(key, (slots = new Slots(this.#options.maxInFlightPerPartition)));
    return slots;
  }

  /** True when the batch may return before its replies are acknowledged (see BatchRunnerOptions.detach). */
  #mayDetach(payload: FetchedBatch, progress: BatchProgress): boolean {
    return (
      this.#options.detach !== undefined &&
      progress.handled === payload.batch.messages.length &&
      !progress.failed &&
      !this.#mustStop(payload) &&
      progress.hasUnfinished
    );
  }

  /** Waits briefly for the batch's replies; true when it should return with some still due. */
  async #waitOrDetach(payload: FetchedBatch, progress: BatchProgress): Promise<boolean> {
    const detach = this.#options.detach;
    if (!detach || !this.#mayDetach(payload, progress)) return false;
    await progress.settleWithin(detach.afterMs ?? DEFAULT_DETACH_AFTER_MS);
    return this.#mayDetach(payload, progress);
  }

  /**
   * Returns the batch to the consumer with replies still due: a hold keeps commits at the lowest unfinished
   * record, the fetch position moves past the batch, and the acknowledgements go on as a tail.
   */
  async #detach(payload: FetchedBatch, progress: BatchProgress): Promise<void> {
    const { topic, partition, messages } = payload.batch;
    progress.resolveFinished();
    const first = progress.firstUnfinished;
    if (first !== undefined) {
      // In this order, with no await between: no commit can see the new position without the hold.
      progress.detach(this.#options.offsets.holds.open(topic, partition, first));
      payload.resolveOffset(messages[messages.length - 1].offset);
    }
    const tail = progress.settle();
    this.#tails.add(tail);
    void tail.finally(() => this.#tails.delete(tail));
    await payload.heartbeat();
  }

  /**
   * A reply of a returned batch failed for a passing reason: its record must be redelivered, so the
   * partition is fetched again from the lowest unfinished record, and commits stay there meanwhile.
   */
  rewind(payload: FetchedBatch, hold: CommitHold, error: unknown): void {
    const detach = this.#options.detach;
    if (!detach || hold.cancelled || this.isAbandoning()) return;
    const { topic, partition } = payload.batch;
    const offset = hold.offset;
    this.#options.offsets.holds.rewind(topic, partition, offset);
    detach.logger.warn(
      `a reply for ${topic}/${partition} failed after its batch was done: the partition is fetched again from offset ${offset}`,
      { topic, partition, offset, error },
    );
    try {
      detach.seek(topic, partition, offset);
    } catch (seekError) {
      // The consumer stopped meanwhile: its next run fetches from the committed offset, which the rewind holds.
      detach.logger.warn(`could not send ${topic}/${partition} back to offset ${offset}`, {
        error: seekError,
      });
    }
  }

  /** Asks for a commit: a returned batch's hold moved. */
  requestCommit(): void {
    this.#options.offsets.requestCommit();
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
    const slots = this.#slotsOf(topic, partition);
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
      let handled: HandledRecord | DeferredRecord | void;
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
      if (isDeferred(handled)) {
        slots.release();
        this.#defer(payload, handled, messages[index].offset);
        break;
      }
      progress.handled += 1;
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
    if (await this.#waitOrDetach(payload, progress)) return this.#detach(payload, progress);
    await progress.settle();
    if (this.isAbandoning()) return;
    progress.throwIfFailed();
    await heartbeat();
  }

  /** 'key' ordering: records with different keys run concurrently, each key's in offset order. */
  async #runByKey(payload: FetchedBatch): Promise<void> {
    const { batch, heartbeat } = payload;
    const { firsts, nextOfKey } = chainByKey(batch.messages);
    const run: KeyedRun = {
      payload,
      progress: new BatchProgress(payload, this),
      slots: this.#slotsOf(batch.topic, batch.partition),
      nextOfKey,
      lastHeartbeat: Date.now(),
      deferred: false,
    };
    // Each key's first record starts at once (synchronously up to the handler's first await), in offset order.
    await Promise.all(
      firsts.map((first) => this.#runKey(run, first).catch((error: unknown) => run.progress.fail(error))),
    );
    const { progress } = run;
    if (await this.#waitOrDetach(payload, progress)) return this.#detach(payload, progress);
    await progress.settle();
    if (this.isAbandoning()) return;
    progress.throwIfFailed();
    await heartbeat();
  }

  /**
   * One key's records of a batch, from `first` on, in offset order. A record not started (waiting for a
   * slot, or queued behind its key) stays unresolved once the batch must stop: it waits for redelivery.
   */
  async #runKey(run: KeyedRun, first: number): Promise<void> {
    const { payload, progress, slots, nextOfKey } = run;
    const { batch, heartbeat } = payload;
    for (let index = first; index !== -1; index = nextOfKey[index]) {
      if (progress.failed || run.deferred || this.#mustStop(payload)) return;
      // The slot is taken only once the key's previous handler is done, so a hot key's queue holds no slot
      // that another key could use; it is given back when the record is acknowledged.
      if (!slots.tryAcquire()) {
        await slots.acquire();
        if (progress.failed || run.deferred || this.#mustStop(payload)) {
          slots.release();
          return;
        }
      }
      let handled: HandledRecord | DeferredRecord | void;
      this.#running += 1;
      try {
        handled = await this.#options.handle(
          toRawRecord(batch.messages[index], batch.topic, batch.partition),
          heartbeat,
        );
      } catch (error) {
        slots.release();
        throw error;
      } finally {
        this.#running -= 1;
      }
      if (isDeferred(handled)) {
        // Records of other keys after it that already ran finish, but stay unresolved behind it: they are
        // fetched and handled again with it (at least once).
        slots.release();
        run.deferred = true;
        this.#defer(payload, handled, batch.messages[index].offset);
        return;
      }
      progress.handled += 1;
      if (handled) progress.finishWhenAcked(index, handled.acked, () => slots.release());
      else {
        progress.finish(index);
        progress.resolveSoon();
        slots.release();
      }
      if (Date.now() - run.lastHeartbeat >= HEARTBEAT_EVERY_MS) {
        run.lastHeartbeat = Date.now();
        await heartbeat();
      }
    }
  }

  /** Stops fetching the batch's partition until the record is due; the driver fetches it again from there. */
  #defer(payload: FetchedBatch, record: DeferredRecord, offset: string): void {
    const { topic, partition, highWatermark } = payload.batch;
    this.#options.defer?.(topic, partition, record.dueAtMs, { offset, highWatermark });
  }

  /** Counts records whose offsets were resolved (BatchProgress reports them). */
  countFinished(records: number, payload: FetchedBatch, offset: string): void {
    this.#finished += records;
    this.#options.offsets.progress.recordsFinished(
      payload.batch.topic,
      payload.batch.partition,
      records,
      offset,
    );
  }

  /** True once an abandoning close began: nothing more may be resolved. */
  isAbandoning(): boolean {
    return this.#options.dispatchMode() === 'abandon';
  }

  #mustStop(payload: FetchedBatch): boolean {
    return this.#options.dispatchMode() !== 'running' || !payload.isRunning() || payload.isStale();
  }
}

function isDeferred(handled: HandledRecord | DeferredRecord | void): handled is DeferredRecord {
  return handled !== undefined && 'dueAtMs' in handled;
}
