import type { EachBatchPayload } from 'kafkajs';
import type { DrainMode } from '../connection/connection-events';
import type { RawKafkaRecord } from '../wire/parser';
import { OffsetTracker } from './offset-tracker';

export type Ordering = 'partition' | 'key';

export interface BatchRunnerOptions {
  /** 'partition': one record at a time in offset order. 'key': records with different keys run concurrently. */
  readonly ordering: Ordering;
  /** Records of one partition in flight at once when ordering is 'key'. */
  readonly maxInFlightPerPartition: number;
  /**
   * Handles one record; resolves when its work and replies are done, rejects when it must be redelivered.
   * `heartbeat` keeps the member in the group during long handlers.
   */
  readonly handle: (record: RawKafkaRecord, heartbeat: () => Promise<void>) => Promise<void>;
}

/** What the runner did, for the drain report. */
export interface BatchRunnerStats {
  /** Records fully handled (their offsets resolved for commit). */
  readonly finished: number;
  /** Records whose handlers were still running when an abandoning close cut them off. */
  readonly abandoned: number;
}

/**
 * Runs the records of kafkajs batches through the handler, and resolves an offset only once the record and
 * every record before it in the partition are finished (so kafkajs commits nothing unfinished). kafkajs
 * runs up to `partitionsConsumedConcurrently` batches of different partitions at once, and fetches a
 * partition's next batch only when this one returns: that is the backpressure, at the source.
 */
export class BatchRunner {
  readonly #options: BatchRunnerOptions;
  readonly #active = new Set<Promise<void>>();
  #mode: 'running' | DrainMode = 'running';
  #abandon = createSignal();
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
  readonly eachBatch = async (payload: EachBatchPayload): Promise<void> => {
    // After close() began, a new batch is left alone: unresolved, it is redelivered to the partition's next owner.
    if (this.#mode !== 'running') return;
    const run = this.#options.ordering === 'key' ? this.#runByKey(payload) : this.#runInOrder(payload);
    this.#active.add(run);
    try {
      await run;
    } finally {
      this.#active.delete(run);
    }
  };

  /**
   * Stops dispatching records. 'drain' waits for the running handlers (and their replies); 'abandon' stops
   * waiting at once, leaving running handlers' offsets unresolved so those records are redelivered.
   */
  async stop(mode: DrainMode): Promise<void> {
    if (mode === 'abandon' && !this.#isAbandoning()) {
      this.#abandoned += this.#running;
      this.#abandon.fire();
    }
    this.#mode = mode;
    await Promise.allSettled([...this.#active]);
  }

  /** Accepts batches again (a reconnect after close()). */
  restart(): void {
    this.#mode = 'running';
    this.#abandon = createSignal();
  }

  async #runInOrder(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat } = payload;
    for (const message of batch.messages) {
      if (this.#mustStop(payload)) return;
      const done = await this.#unlessAbandoned(
        this.#invoke({ ...message, topic: batch.topic, partition: batch.partition }, heartbeat),
      );
      if (!done || this.#isAbandoning()) return;
      resolveOffset(message.offset);
      this.#finished += 1;
      await heartbeat();
    }
  }

  async #runByKey(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat } = payload;
    const tracker = new OffsetTracker(batch.messages.map((message) => message.offset));
    const slots = new Slots(this.#options.maxInFlightPerPartition);
    const chains = new Map<string, Promise<void>>();
    let failure: { error: unknown } | undefined;
    // A record not started (queued behind its key, or waiting for a slot) stays unresolved once the batch
    // must stop: it waits for redelivery, as in 'partition' ordering.
    const mayStart = (): boolean => !failure && !this.#mustStop(payload);

    for (const [index, message] of batch.messages.entries()) {
      // Records without a key keep their relative order: they share one chain.
      const key = message.key ? message.key.toString('latin1') : '';
      const task = (chains.get(key) ?? Promise.resolve())
        .then(async () => {
          if (!mayStart()) return;
          // The slot is taken only once the key's previous record is done, so a hot key's queue holds no
          // slot that another key could use.
          await slots.acquire();
          try {
            if (!mayStart()) return;
            await this.#invoke({ ...message, topic: batch.topic, partition: batch.partition }, heartbeat);
          } finally {
            slots.release();
          }
          const before = tracker.finishedPrefix;
          const offset = tracker.complete(index);
          if (this.#isAbandoning()) return;
          if (offset !== undefined) {
            resolveOffset(offset);
            this.#finished += tracker.finishedPrefix - before;
          }
          await heartbeat();
        })
        .catch((error: unknown) => {
          failure ??= { error };
        });
      chains.set(key, task);
    }
    if (!(await this.#unlessAbandoned(Promise.all(chains.values())))) return;
    if (failure) throw failure.error;
  }

  async #invoke(record: RawKafkaRecord, heartbeat: () => Promise<void>): Promise<void> {
    this.#running += 1;
    try {
      await this.#options.handle(record, heartbeat);
    } finally {
      this.#running -= 1;
    }
  }

  #isAbandoning(): boolean {
    return this.#mode === 'abandon';
  }

  #mustStop(payload: EachBatchPayload): boolean {
    return this.#mode !== 'running' || !payload.isRunning() || payload.isStale();
  }

  /** Waits for `work` unless an abandoning close comes first; false when abandoned. */
  async #unlessAbandoned(work: Promise<unknown>): Promise<boolean> {
    let finished = false;
    const tracked = work.then(() => {
      finished = true;
    });
    await Promise.race([tracked, this.#abandon.fired]);
    if (!finished && this.#isAbandoning()) {
      tracked.catch(() => undefined);
      return false;
    }
    await tracked;
    return true;
  }
}

interface Signal {
  readonly fired: Promise<void>;
  fire(): void;
}

function createSignal(): Signal {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => (fire = resolve));
  return { fired, fire };
}

/** A counting semaphore: at most `size` holders; waiters are served in arrival order. */
class Slots {
  readonly #waiters: Array<() => void> = [];
  #free: number;

  constructor(size: number) {
    this.#free = size;
  }

  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free += 1;
  }
}
