import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { DrainMode } from '../connection/connection-events';
import type { RawKafkaRecord } from '../wire/parser';
import { OffsetTracker } from './offset-tracker';

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
  readonly handle: (record: RawKafkaRecord, heartbeat: () => Promise<void>) => Promise<HandledRecord | void>;
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
 * every record before it in the partition are finished and acknowledged (so kafkajs commits nothing
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
    const run = this.#run(payload);
    // One race per batch, not per record: an abandoning close returns the batch to kafkajs at once, while
    // the cut-off work goes on unobserved (it resolves no offset and starts no record once abandoning).
    const settled = Promise.race([run, this.#abandon.fired]);
    run.catch(() => undefined);
    this.#active.add(settled);
    try {
      await settled;
    } finally {
      this.#active.delete(settled);
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

  async #run(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat } = payload;
    const byKey = this.#options.ordering === 'key';
    const tracker = new OffsetTracker(batch.messages.map((message) => message.offset));
    const slots = new Slots(this.#options.maxInFlightPerPartition);
    // With 'partition' every record shares one chain; with 'key', records without a key share one.
    const chains = new Map<string, Promise<void>>();
    const acks: Array<Promise<void>> = [];
    let failure: { error: unknown } | undefined;
    let lastHeartbeat = Date.now();
    // A record not started (queued behind its chain, or waiting for a slot) stays unresolved once the batch
    // must stop: it waits for redelivery.
    const mayStart = (): boolean => !failure && !this.#mustStop(payload);
    const fail = (error: unknown): void => {
      failure ??= { error };
    };

    for (const [index, message] of batch.messages.entries()) {
      if (!byKey && !mayStart()) break;
      const key = byKey && message.key ? message.key.toString('latin1') : '';
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
        try {
          handled = await this.#invoke(toRecord(message, batch.topic, batch.partition), heartbeat);
        } catch (error) {
          slots.release();
          throw error;
        }
        acks.push(
          (handled ? handled.acked : Promise.resolve())
            .then(() => {
              const before = tracker.finishedPrefix;
              const offset = tracker.complete(index);
              if (offset === undefined || this.#isAbandoning()) return;
              resolveOffset(offset);
              this.#finished += tracker.finishedPrefix - before;
            }, fail)
            .finally(() => slots.release()),
        );
        if (Date.now() - lastHeartbeat >= HEARTBEAT_EVERY_MS) {
          lastHeartbeat = Date.now();
          await heartbeat();
        }
      };
      // A chain's first record starts at once (synchronously up to the handler's first await).
      const previous = chains.get(key);
      const chained = (previous ? previous.then(start) : start()).catch(fail);
      chains.set(key, chained);
      // 'partition' ordering: the loop itself waits, so a failure or a stop is seen before the next record.
      if (!byKey) await chained;
    }
    await Promise.all(chains.values());
    await Promise.all(acks);
    if (this.#isAbandoning()) return;
    if (failure) throw failure.error;
    await heartbeat();
  }

  async #invoke(record: RawKafkaRecord, heartbeat: () => Promise<void>): Promise<HandledRecord | void> {
    this.#running += 1;
    try {
      return await this.#options.handle(record, heartbeat);
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
}

/**
 * The record a handler sees, built field by field: spreading kafkajs's message would copy its batch
 * context too, and this runs for every record.
 */
function toRecord(message: KafkaMessage, topic: string, partition: number): RawKafkaRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    timestamp: message.timestamp,
    attributes: message.attributes,
    size: message.size,
    key: message.key,
    value: message.value,
    headers: message.headers,
  } as RawKafkaRecord;
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
