import type { FetchedBatch } from '../kafka/fetched-batch';
import type { CommitHold } from './commit-holds';
import { OffsetTracker } from './offset-tracker';

/** What a batch's bookkeeping reports to, and asks, the runner that runs it. */
export interface ProgressOwner {
  /** True once an abandoning close began: nothing more may be resolved. */
  isAbandoning(): boolean;
  /** `records` more records of the batch finished, up to `offset`. */
  countFinished(records: number, payload: FetchedBatch, offset: string): void;
  /** A reply of the returned batch failed for a passing reason: fetch its partition again from `hold`. */
  rewind(payload: FetchedBatch, hold: CommitHold, error: unknown): void;
  /** Asks for a commit: the returned batch's hold moved. */
  requestCommit(): void;
}

/**
 * One batch's bookkeeping: which records are finished, the first failure, and the acknowledgements still
 * due. Offsets are resolved with kafkajs only as the contiguous finished prefix grows (see OffsetTracker),
 * and lazily: `resolveFinished()` hands kafkajs the latest one, which is all it keeps. Once the batch has
 * returned with replies due (`detach()`), the prefix moves its commit hold instead, and a failed reply
 * sends the partition back to the hold (see BatchRunner's `rewind()`).
 */
export class BatchProgress {
  readonly #payload: FetchedBatch;
  readonly #runner: ProgressOwner;
  readonly #tracker: OffsetTracker;
  /**
   * The acknowledgements due, counted rather than kept for a Promise.all: that makes a promise per record
   * at each settle(), and with a tracer SDK (async_hooks on) every promise also runs the hooks.
   */
  #acksDue = 0;
  /** The first error a settle handler threw: settle() rejects with it, as a Promise.all over the acks did. */
  #ackError: { error: unknown } | undefined;
  /** What settle() waits on while acknowledgements are due; made by the first settle() that waits. */
  #allAcked: Deferred | undefined;
  #failure: { error: unknown } | undefined;
  /** The newest offset of the finished prefix not yet handed to kafkajs. */
  #unresolved: string | undefined;
  #resolvedPrefix = 0;
  /** Set once the batch returned with replies due: the finished prefix then moves this, not kafkajs. */
  #hold: CommitHold | undefined;
  /** True while a resolveSoon() waits for its turn. */
  #resolveScheduled = false;
  /** Records whose handlers are done (their replies may still be due). */
  handled = 0;

  constructor(payload: FetchedBatch, runner: ProgressOwner) {
    this.#payload = payload;
    this.#runner = runner;
    this.#tracker = new OffsetTracker(payload.batch.messages.map((message) => message.offset));
  }

  get failed(): boolean {
    return this.#failure !== undefined;
  }

  fail(error: unknown): void {
    if (this.#hold && !this.#failure) this.#runner.rewind(this.#payload, this.#hold, error);
    this.#failure ??= { error };
  }

  /** True while a record is not finished (its replies not acknowledged yet). */
  get hasUnfinished(): boolean {
    return this.#tracker.firstUnfinished !== undefined;
  }

  /** The offset of the first record not finished. */
  get firstUnfinished(): string | undefined {
    return this.#tracker.firstUnfinished;
  }

  /** The batch returns with replies due: from now on the finished prefix moves `hold`. */
  detach(hold: CommitHold): void {
    this.#hold = hold;
  }

  /** The record at `index` is done and produced nothing that needs acknowledging. */
  finish(index: number): void {
    const offset = this.#tracker.complete(index);
    if (offset !== undefined) this.#unresolved = offset;
  }

  /** The record at `index` is done once `acked` resolves; `release` runs either way. */
  finishWhenAcked(index: number, acked: Promise<void>, release: () => void): void {
    this.#acksDue += 1;
    acked.then(
      () => {
        try {
          release();
          this.finish(index);
          this.resolveFinished();
        } catch (error) {
          this.#ackThrew(error);
        }
        this.#ackSettled();
      },
      (error: unknown) => {
        try {
          release();
          this.fail(error);
        } catch (thrown) {
          this.#ackThrew(thrown);
        }
        this.#ackSettled();
      },
    );
  }

  #ackThrew(error: unknown): void {
    if (this.#ackError) return;
    this.#ackError = { error };
    this.#allAcked?.reject(error);
  }

  #ackSettled(): void {
    this.#acksDue -= 1;
    if (this.#acksDue > 0 || !this.#allAcked) return;
    const allAcked = this.#allAcked;
    this.#allAcked = undefined;
    allAcked.resolve();
  }

  /** Resolves once no acknowledgement is due; rejects with the first error a settle handler threw. */
  #whenAllAcked(): Promise<void> {
    if (this.#ackError) return Promise.reject(this.#ackError.error);
    if (this.#acksDue === 0) return Promise.resolve();
    this.#allAcked ??= createDeferred();
    return this.#allAcked.promise;
  }

  /**
   * Hands kafkajs the finished prefix once the records finishing in this turn of the event loop are in:
   * with key ordering, records finish one by one as their handlers' timers and replies come back, and
   * kafkajs keeps only the latest resolved offset, so one resolve a turn does what one a record did, for
   * a parse of the offset and a progress update a turn rather than a record. settle() resolves what is
   * left before the batch returns.
   */
  resolveSoon(): void {
    if (this.#resolveScheduled) return;
    this.#resolveScheduled = true;
    setImmediate(this.#resolveScheduledNow);
  }

  readonly #resolveScheduledNow = (): void => {
    this.#resolveScheduled = false;
    this.resolveFinished();
  };

  /** Hands kafkajs the finished prefix (unless an abandoning close began: then nothing more is resolved). */
  resolveFinished(): void {
    const offset = this.#unresolved;
    if (offset === undefined || this.#runner.isAbandoning()) return;
    this.#unresolved = undefined;
    const hold = this.#hold;
    if (hold) {
      // The batch has returned: kafkajs's position is past it already; only the commit floor moves.
      if (hold.cancelled) return;
      const next = this.#tracker.firstUnfinished;
      if (next === undefined) hold.release();
      else hold.moveTo(next);
      this.#runner.requestCommit();
    } else {
      this.#payload.resolveOffset(offset);
    }
    const prefix = this.#tracker.finishedPrefix;
    this.#runner.countFinished(prefix - this.#resolvedPrefix, this.#payload, offset);
    this.#resolvedPrefix = prefix;
  }

  /** Waits for the acknowledgements due, at most `ms`, resolving what finished meanwhile. */
  async settleWithin(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    try {
      await Promise.race([this.settle(), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for every acknowledgement due, then resolves what finished. */
  async settle(): Promise<void> {
    this.resolveFinished();
    await this.#whenAllAcked();
    this.resolveFinished();
  }

  throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function createDeferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}
