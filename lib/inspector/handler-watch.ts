/**
 * Per-handler and per-key figures of this process, as the diagnostics channels tell of them: each
 * handler's latencies over a sliding window, its failures, retries and dead letters; and per partition,
 * the records fetched and waiting for their handler (with their keys) and those a handler runs on.
 * viewHandlers() reads it.
 *
 * Like StuckWatch, it knows only what happened after it subscribed: start it with the process.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  DIAGNOSTICS_CHANNELS,
  type BatchEndPayload,
  type BatchRecordsPayload,
  type DeadLetterSentPayload,
  type HandlerEndPayload,
  type HandlerErrorPayload,
  type HandlerRetryPayload,
  type HandlerStartPayload,
} from '../diagnostics/diagnostics-channels';
import { RxKafkaError } from '../errors';
import { SlidingWindow } from './sliding-window';

export interface HandlerWatchOptions {
  /** The window latencies are read over. @defaultValue 60000 */
  readonly windowMs?: number;
  /** The clock (epoch milliseconds). @defaultValue Date.now */
  readonly now?: () => number;
}

/** One handler's figures since the watch started (latencies: within the window only). */
export interface HandlerTally {
  readonly handler: string;
  readonly pattern: string;
  readonly kind: 'request' | 'event';
  runs: number;
  failures: number;
  retries: number;
  deadLetters: number;
  readonly latencies: SlidingWindow;
}

/** A record fetched and not yet started on, or one a handler runs on. */
export interface WatchedRecord {
  readonly offset: string;
  readonly key?: string;
  /** Epoch milliseconds: fetched (waiting) or started (running). */
  readonly since: number;
  readonly handler?: string;
  /** The last failed attempt while the handler waits to run again. */
  readonly retry?: { readonly attempt: number; readonly attempts: number; readonly nextAttemptAt: number };
}

/** A partition's records waiting and running, by offset. */
export interface WatchedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly waiting: Map<string, WatchedRecord>;
  /** By `offset/handler`. */
  readonly running: Map<string, WatchedRecord>;
}

export const DEFAULT_HANDLER_WINDOW_MS = 60_000;

/** Follows the handler and batch channels until closed. */
export class HandlerWatch {
  readonly windowMs: number;
  readonly now: () => number;
  readonly handlers = new Map<string, HandlerTally>();
  readonly #partitions = new Map<string, WatchedPartition>();
  readonly #listeners: Array<[string, (message: unknown) => void]>;
  /**
   * Runs started and not yet put in their partition's `running`, newest last, with their start times. A
   * synchronous handler (most event handlers) ends before anything else runs: its end meets its start on
   * top of this stack and touches no map. Everything else, and every read of `partitions`, moves them in.
   */
  readonly #pending: HandlerStartPayload[] = [];
  readonly #pendingAt: number[] = [];
  /** The partition and handler of the last run: consecutive runs are mostly of the same ones. */
  #lastPartition: WatchedPartition | undefined;
  #lastTally: HandlerTally | undefined;

  /** @throws RxKafkaError RXK_INVALID_OPTIONS for a `windowMs` that is not a positive number. */
  constructor(options: HandlerWatchOptions = {}) {
    const windowMs = options.windowMs ?? DEFAULT_HANDLER_WINDOW_MS;
    if (typeof windowMs !== 'number' || !(windowMs > 0)) {
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        `windowMs is ${String(windowMs)}: give the latency window in milliseconds, above 0`,
        { path: 'windowMs' },
      );
    }
    this.windowMs = windowMs;
    this.now = options.now ?? Date.now;
    this.#listeners = [
      [DIAGNOSTICS_CHANNELS.batchStart, (message) => this.#fetched(message as BatchRecordsPayload)],
      [DIAGNOSTICS_CHANNELS.batchEnd, (message) => this.#returned(message as BatchEndPayload)],
      [DIAGNOSTICS_CHANNELS.handlerStart, (message) => this.#started(message as HandlerStartPayload)],
      [DIAGNOSTICS_CHANNELS.handlerRetry, (message) => this.#retrying(message as HandlerRetryPayload)],
      [DIAGNOSTICS_CHANNELS.handlerError, (message) => this.#failed(message as HandlerErrorPayload)],
      [DIAGNOSTICS_CHANNELS.handlerEnd, (message) => this.#ended(message as HandlerEndPayload)],
      [
        DIAGNOSTICS_CHANNELS.deadLetterSent,
        (message) => this.#deadLettered(message as DeadLetterSentPayload),
      ],
    ];
    for (const [name, listener] of this.#listeners) subscribe(name, listener);
  }

  /** The partitions seen, by `topic/partition`, with their records waiting and running now. */
  get partitions(): ReadonlyMap<string, WatchedPartition> {
    this.#settlePending();
    return this.#partitions;
  }

  /** Stops listening; what was seen stays readable. */
  close(): void {
    for (const [name, listener] of this.#listeners) unsubscribe(name, listener);
  }

  #fetched({ topic, partition, keys }: BatchRecordsPayload): void {
    this.#settlePending();
    const watched = this.#partition(topic, partition);
    const since = this.now();
    // One record after another of every batch: a plain literal, where a conditional spread would copy.
    for (const { offset, key } of keys) watched.waiting.set(offset, { offset, key, since });
  }

  // A batch returned is done, or failed and fetched again: none of its records waits any more.
  #returned({ topic, partition, lastOffset }: BatchEndPayload): void {
    if (lastOffset === undefined) return;
    this.#settlePending();
    const watched = this.#partitions.get(`${topic}/${partition}`);
    if (!watched) return;
    const last = BigInt(lastOffset);
    for (const offset of watched.waiting.keys()) if (BigInt(offset) <= last) watched.waiting.delete(offset);
    for (const [id, run] of watched.running) if (BigInt(run.offset) <= last) watched.running.delete(id);
  }

  #started(payload: HandlerStartPayload): void {
    this.#partition(payload.topic, payload.partition).waiting.delete(payload.offset);
    this.#pending.push(payload);
    this.#pendingAt.push(this.now());
  }

  /** Moves the pending runs into their partitions' `running`, oldest first. */
  #settlePending(): void {
    for (let index = 0; index < this.#pending.length; index++) {
      const { topic, partition, offset, key, handler } = this.#pending[index];
      const watched = this.#partition(topic, partition);
      const id = `${offset}/${handler}`;
      // A retry starts again on the same run: it keeps its first start, so its wait shows whole.
      const since = watched.running.get(id)?.since ?? this.#pendingAt[index];
      watched.running.set(id, { offset, ...(key === undefined ? {} : { key }), since, handler });
    }
    this.#pending.length = 0;
    this.#pendingAt.length = 0;
  }

  #retrying(payload: HandlerRetryPayload): void {
    this.#settlePending();
    const watched = this.#partitions.get(`${payload.topic}/${payload.partition}`);
    const id = `${payload.offset}/${payload.handler}`;
    const run = watched?.running.get(id);
    const { attempt, attempts, nextAttemptAt } = payload;
    if (watched && run) watched.running.set(id, { ...run, retry: { attempt, attempts, nextAttemptAt } });
    this.#tally(payload).retries += 1;
  }

  #failed(payload: HandlerErrorPayload): void {
    this.#tally(payload).failures += 1;
  }

  #ended(payload: HandlerEndPayload): void {
    const top = this.#pending.length - 1;
    if (top >= 0 && isSameRun(this.#pending[top], payload)) {
      this.#pending.pop();
      this.#pendingAt.pop();
      // A retried run was put in `running` by its retry; it is over now.
      const watched = this.#partition(payload.topic, payload.partition);
      if (watched.running.size > 0) watched.running.delete(`${payload.offset}/${payload.handler}`);
    } else {
      this.#settlePending();
      this.#partitions
        .get(`${payload.topic}/${payload.partition}`)
        ?.running.delete(`${payload.offset}/${payload.handler}`);
    }
    const tally = this.#tally(payload);
    tally.runs += 1;
    if (payload.durationMs !== undefined) tally.latencies.add(this.now(), payload.durationMs);
  }

  #deadLettered(payload: DeadLetterSentPayload): void {
    this.#tally(payload).deadLetters += 1;
  }

  #partition(topic: string, partition: number): WatchedPartition {
    const last = this.#lastPartition;
    if (last?.partition === partition && last.topic === topic) return last;
    const id = `${topic}/${partition}`;
    let watched = this.#partitions.get(id);
    if (!watched) {
      watched = { topic, partition, waiting: new Map(), running: new Map() };
      this.#partitions.set(id, watched);
    }
    this.#lastPartition = watched;
    return watched;
  }

  #tally({ handler, pattern, kind }: HandlerStartPayload): HandlerTally {
    if (this.#lastTally?.handler === handler) return this.#lastTally;
    let tally = this.handlers.get(handler);
    if (!tally) {
      tally = {
        handler,
        pattern,
        kind,
        runs: 0,
        failures: 0,
        retries: 0,
        deadLetters: 0,
        latencies: new SlidingWindow(this.windowMs),
      };
      this.handlers.set(handler, tally);
    }
    this.#lastTally = tally;
    return tally;
  }
}

function isSameRun(start: HandlerStartPayload, end: HandlerStartPayload): boolean {
  return (
    start.offset === end.offset &&
    start.partition === end.partition &&
    start.handler === end.handler &&
    start.topic === end.topic
  );
}
