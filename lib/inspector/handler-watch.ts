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
  readonly partitions = new Map<string, WatchedPartition>();
  readonly #listeners: Array<[string, (message: unknown) => void]>;

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

  /** Stops listening; what was seen stays readable. */
  close(): void {
    for (const [name, listener] of this.#listeners) unsubscribe(name, listener);
  }

  #fetched({ topic, partition, keys }: BatchRecordsPayload): void {
    const watched = this.#partition(topic, partition);
    const since = this.now();
    for (const { offset, key } of keys) {
      watched.waiting.set(offset, { offset, ...(key === undefined ? {} : { key }), since });
    }
  }

  // A batch returned is done, or failed and fetched again: none of its records waits any more.
  #returned({ topic, partition, lastOffset }: BatchEndPayload): void {
    if (lastOffset === undefined) return;
    const watched = this.partitions.get(`${topic}/${partition}`);
    if (!watched) return;
    const last = BigInt(lastOffset);
    for (const offset of watched.waiting.keys()) if (BigInt(offset) <= last) watched.waiting.delete(offset);
    for (const [id, run] of watched.running) if (BigInt(run.offset) <= last) watched.running.delete(id);
  }

  #started(payload: HandlerStartPayload): void {
    const { topic, partition, offset, key, handler } = payload;
    const watched = this.#partition(topic, partition);
    watched.waiting.delete(offset);
    const id = `${offset}/${handler}`;
    // A retry starts again on the same run: it keeps its first start, so its wait shows whole.
    const since = watched.running.get(id)?.since ?? this.now();
    watched.running.set(id, { offset, ...(key === undefined ? {} : { key }), since, handler });
  }

  #retrying(payload: HandlerRetryPayload): void {
    const watched = this.partitions.get(`${payload.topic}/${payload.partition}`);
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
    this.partitions
      .get(`${payload.topic}/${payload.partition}`)
      ?.running.delete(`${payload.offset}/${payload.handler}`);
    const tally = this.#tally(payload);
    tally.runs += 1;
    if (payload.durationMs !== undefined) tally.latencies.add(this.now(), payload.durationMs);
  }

  #deadLettered(payload: DeadLetterSentPayload): void {
    this.#tally(payload).deadLetters += 1;
  }

  #partition(topic: string, partition: number): WatchedPartition {
    const id = `${topic}/${partition}`;
    let watched = this.partitions.get(id);
    if (!watched) {
      watched = { topic, partition, waiting: new Map(), running: new Map() };
      this.partitions.set(id, watched);
    }
    return watched;
  }

  #tally({ handler, pattern, kind }: HandlerStartPayload): HandlerTally {
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
    return tally;
  }
}
