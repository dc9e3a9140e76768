import { from, Observable, type ObservableInput, type OperatorFunction, type Subscription } from 'rxjs';
import { RxKafkaError } from '../errors';
import { checkPositiveInteger, failOption } from '../options/option-checks';

/** Options of `mergeMapByKey`. */
export interface MergeMapByKeyOptions<T> {
  /** Inner observables running at once, over all keys. */
  readonly concurrency: number;
  /**
   * Inner observables of one key running at once; their outputs are still emitted in input order (a later
   * one's are held until the earlier ones complete). @defaultValue 1
   */
  readonly perKey?: number;
  /**
   * The key that orders a value. @defaultValue for a record: its topic, partition and key (records without
   * a key share one order per partition); for anything else, the value itself
   */
  readonly keyOf?: (value: T) => unknown;
  /**
   * Values waiting to start, over all keys, at most; one more fails the stream with RXK_STREAM_OVERFLOW.
   * Behind `consume()` at most `bufferSize` × partitions records are ever waiting, which is the bound that
   * matters; this one guards against a source without one. @defaultValue 100000
   */
  readonly maxBuffered?: number;
}

const DEFAULT_MAX_BUFFERED = 100_000;

/**
 * `mergeMap` with order per key: values of one key are projected in input order, at most `perKey` of them
 * at a time, and their outputs are emitted in input order; values of different keys run concurrently, at
 * most `concurrency` in all. Keys take turns for free slots. An error of the source or of an inner
 * observable fails the output, as with mergeMap; the output completes once the source and every inner did.
 *
 * @throws RxKafkaError RXK_INVALID_OPTIONS for a bad concurrency, perKey or maxBuffered.
 */
export function mergeMapByKey<T, R>(
  project: (value: T, index: number) => ObservableInput<R>,
  options: MergeMapByKeyOptions<T>,
): OperatorFunction<T, R> {
  checkPositiveInteger('concurrency', options?.concurrency, 16);
  if (options.concurrency === undefined)
    failOption('concurrency', 'a whole number of at least 1', undefined, 'e.g. concurrency: 16');
  checkPositiveInteger('perKey', options.perKey, 1);
  checkPositiveInteger('maxBuffered', options.maxBuffered, DEFAULT_MAX_BUFFERED);
  const settings = {
    concurrency: options.concurrency,
    perKey: options.perKey ?? 1,
    keyOf: options.keyOf ?? defaultKeyOf,
    maxBuffered: options.maxBuffered ?? DEFAULT_MAX_BUFFERED,
  };
  return (source) =>
    new Observable<R>((subscriber) => {
      const lanes = new KeyLanes<T, R>(project, settings, {
        next: (value) => subscriber.next(value),
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      const subscription = source.subscribe({
        next: (value) => lanes.push(value),
        error: (error: unknown) => subscriber.error(error),
        complete: () => lanes.sourceDone(),
      });
      return () => {
        subscription.unsubscribe();
        lanes.stop();
      };
    });
}

/** A record's order key: its partition and key. Anything else is its own key. */
function defaultKeyOf(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('partition' in value) || !('topic' in value))
    return value;
  const { topic, partition, key } = value as { topic: unknown; partition: unknown; key?: unknown };
  return `${String(topic)}\u0000${String(partition)}\u0000${keyText(key)}`;
}

function keyText(key: unknown): string {
  if (key === null || key === undefined) return '';
  if (typeof key === 'string') return `s${key}`;
  if (Buffer.isBuffer(key)) return `b${key.toString('latin1')}`;
  if (typeof key === 'object') return `j${JSON.stringify(key)}`;
  return `${typeof key}${String(key)}`;
}

interface Settings<T> {
  readonly concurrency: number;
  readonly perKey: number;
  readonly keyOf: (value: T) => unknown;
  readonly maxBuffered: number;
}

interface Output<R> {
  next(value: R): void;
  error(error: unknown): void;
  complete(): void;
}

/** One inner observable of a key: its outputs wait in `held` until it is the key's oldest running one. */
interface Inner<R> {
  held: R[];
  done: boolean;
  subscription?: Subscription;
}

/** One key's values waiting to start and inners running, oldest first. */
interface Lane<T, R> {
  readonly key: unknown;
  readonly waiting: Array<{ value: T; index: number }>;
  readonly running: Array<Inner<R>>;
  /** True while the lane sits in the ready queue. */
  ready: boolean;
}

/** The per-key queues, the ready keys (round robin) and the running inners of one subscription. */
class KeyLanes<T, R> {
  readonly #project: (value: T, index: number) => ObservableInput<R>;
  readonly #settings: Settings<T>;
  readonly #output: Output<R>;
  readonly #lanes = new Map<unknown, Lane<T, R>>();
  readonly #ready: Array<Lane<T, R>> = [];
  #running = 0;
  #waiting = 0;
  #index = 0;
  #sourceDone = false;
  #stopped = false;
  /** True inside #startWhatMay: an inner that completes at once does not start a nested loop. */
  #starting = false;

  constructor(
    project: (value: T, index: number) => ObservableInput<R>,
    settings: Settings<T>,
    output: Output<R>,
  ) {
    this.#project = project;
    this.#settings = settings;
    this.#output = output;
  }

  push(value: T): void {
    const key = this.#settings.keyOf(value);
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = { key, waiting: [], running: [], ready: false };
      this.#lanes.set(key, lane);
    }
    if (this.#waiting >= this.#settings.maxBuffered) {
      this.#fail(
        new RxKafkaError(
          'RXK_STREAM_OVERFLOW',
          `mergeMapByKey: more than ${this.#settings.maxBuffered} values wait for a free slot ` +
            `(concurrency ${this.#settings.concurrency}, ${this.#lanes.size} keys): lower consume()'s bufferSize, ` +
            'raise concurrency, or raise maxBuffered',
        ),
      );
      return;
    }
    lane.waiting.push({ value, index: this.#index++ });
    this.#waiting += 1;
    this.#markReady(lane);
    this.#startWhatMay();
  }

  sourceDone(): void {
    this.#sourceDone = true;
    this.#completeIfDone();
  }

  stop(): void {
    this.#stopped = true;
    for (const lane of this.#lanes.values())
      for (const inner of lane.running) inner.subscription?.unsubscribe();
    this.#lanes.clear();
    this.#ready.length = 0;
  }

  #markReady(lane: Lane<T, R>): void {
    if (lane.ready || lane.waiting.length === 0 || lane.running.length >= this.#settings.perKey) return;
    lane.ready = true;
    this.#ready.push(lane);
  }

  #startWhatMay(): void {
    if (this.#starting) return;
    this.#starting = true;
    try {
      while (!this.#stopped && this.#running < this.#settings.concurrency && this.#ready.length > 0) {
        const lane = this.#ready.shift() as Lane<T, R>;
        lane.ready = false;
        const next = lane.waiting.shift();
        if (!next) continue;
        this.#waiting -= 1;
        this.#start(lane, next.value, next.index);
        // Round robin: a key with more to start queues up behind the others.
        this.#markReady(lane);
      }
    } finally {
      this.#starting = false;
    }
  }

  #start(lane: Lane<T, R>, value: T, index: number): void {
    const inner: Inner<R> = { held: [], done: false };
    lane.running.push(inner);
    this.#running += 1;
    let input: ObservableInput<R>;
    try {
      input = this.#project(value, index);
    } catch (error) {
      this.#fail(error);
      return;
    }
    inner.subscription = from(input).subscribe({
      next: (result) => {
        if (lane.running[0] === inner) this.#output.next(result);
        else inner.held.push(result);
      },
      error: (error: unknown) => this.#fail(error),
      complete: () => this.#finish(lane, inner),
    });
  }

  #finish(lane: Lane<T, R>, inner: Inner<R>): void {
    inner.done = true;
    // The key's oldest inners that are done leave in order; the next one's held outputs go out first.
    while (lane.running.length > 0 && lane.running[0].done) {
      lane.running.shift();
      this.#running -= 1;
      const head = lane.running[0];
      if (head) for (const held of head.held.splice(0)) this.#output.next(held);
    }
    if (lane.running.length === 0 && lane.waiting.length === 0) this.#lanes.delete(lane.key);
    else this.#markReady(lane);
    this.#startWhatMay();
    this.#completeIfDone();
  }

  #completeIfDone(): void {
    if (this.#stopped || !this.#sourceDone || this.#running > 0 || this.#waiting > 0) return;
    this.#stopped = true;
    this.#output.complete();
  }

  #fail(error: unknown): void {
    if (this.#stopped) return;
    this.stop();
    this.#output.error(error);
  }
}
