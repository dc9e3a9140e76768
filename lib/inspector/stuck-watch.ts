/**
 * The handler runs of this process as the diagnostics channels tell of them: which handler runs on which
 * record (and its key), which retries and when its next attempt starts, and which request's handler is done
 * while its replies wait for Kafka's acknowledgement. explainStuck() reads it to name what holds a partition.
 *
 * The runtime keeps none of this per record (a handler run costs no allocation when nobody listens), so it
 * is known only from the moment a watch subscribes: start it with the process, not when something is stuck.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  DIAGNOSTICS_CHANNELS,
  type HandlerEndPayload,
  type HandlerRetryPayload,
  type HandlerStartPayload,
  type ReplyProducedPayload,
} from '../diagnostics/diagnostics-channels';

/** One handler run on one record, as a watch saw it: what its start told, and what happened since. */
export interface WatchedRun extends HandlerStartPayload {
  /** Epoch milliseconds when the handler started on the record. */
  readonly startedAt: number;
  /** Epoch milliseconds when the handler was done; set only while its replies wait for acknowledgement. */
  readonly finishedAt?: number;
  /** The last failed attempt, while the handler waits to run again. */
  readonly retry?: { readonly attempt: number; readonly attempts: number; readonly nextAttemptAt: number };
}

export interface StuckWatchOptions {
  /** The clock runs are timed with (epoch milliseconds). @defaultValue Date.now */
  readonly now?: () => number;
  /** Runs kept at most; past it the oldest are forgotten. @defaultValue 10000 */
  readonly maxRuns?: number;
}

const DEFAULT_MAX_RUNS = 10_000;

/** Follows handler runs until closed. */
export class StuckWatch {
  readonly #now: () => number;
  readonly #maxRuns: number;
  /** Runs by `topic/partition/offset/handler`, oldest first (a Map keeps insertion order). */
  readonly #runs = new Map<string, WatchedRun>();
  /** Finished request runs by correlation id, until their replies are acknowledged. */
  readonly #awaitingAck = new Map<string, string>();
  readonly #listeners: Array<[string, (message: unknown) => void]>;
  /**
   * Runs started and not yet put in `#runs`, newest last, with their start times. A synchronous handler
   * (most event handlers) ends before anything else runs: its end meets its start on top of this stack and
   * neither touches the map. Everything else, and every read, moves them into `#runs` first.
   */
  readonly #pending: HandlerStartPayload[] = [];
  readonly #pendingAt: number[] = [];

  constructor(options: StuckWatchOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
    this.#listeners = [
      [DIAGNOSTICS_CHANNELS.handlerStart, (message) => this.#started(message as HandlerStartPayload)],
      [DIAGNOSTICS_CHANNELS.handlerRetry, (message) => this.#retrying(message as HandlerRetryPayload)],
      [DIAGNOSTICS_CHANNELS.handlerEnd, (message) => this.#ended(message as HandlerEndPayload)],
      [DIAGNOSTICS_CHANNELS.replyProduced, (message) => this.#acked(message as ReplyProducedPayload)],
    ];
    for (const [name, listener] of this.#listeners) subscribe(name, listener);
  }

  /**
   * The runs on a partition not known to be over, oldest first. Runs at or below `finishedOffset` (the
   * partition's finished prefix) are over whatever the watch last heard, and are forgotten here.
   */
  runsOn(topic: string, partition: number, finishedOffset?: string): WatchedRun[] {
    this.#settlePending();
    const runs: WatchedRun[] = [];
    for (const [id, run] of this.#runs) {
      if (run.topic !== topic || run.partition !== partition) continue;
      if (finishedOffset !== undefined && BigInt(run.offset) <= BigInt(finishedOffset)) {
        this.#forget(id, run);
        continue;
      }
      runs.push(run);
    }
    return runs;
  }

  /** Stops listening; what was seen stays readable. */
  close(): void {
    for (const [name, listener] of this.#listeners) unsubscribe(name, listener);
  }

  #started(payload: HandlerStartPayload): void {
    this.#pending.push(payload);
    this.#pendingAt.push(this.#now());
    if (this.#pending.length > this.#maxRuns) this.#settlePending();
  }

  /** Moves the pending runs into `#runs`, oldest first. */
  #settlePending(): void {
    for (let index = 0; index < this.#pending.length; index++) {
      this.#keep(this.#pending[index], this.#pendingAt[index]);
    }
    this.#pending.length = 0;
    this.#pendingAt.length = 0;
  }

  #keep(payload: HandlerStartPayload, startedAt: number, finishedAt?: number): string {
    const { kind, handler, pattern, topic, partition, offset, key, correlationId, traceId } = payload;
    const id = runId(payload);
    const run: Mutable<WatchedRun> = { kind, handler, pattern, topic, partition, offset, startedAt };
    if (key !== undefined) run.key = key;
    if (correlationId !== undefined) run.correlationId = correlationId;
    if (traceId !== undefined) run.traceId = traceId;
    if (finishedAt !== undefined) run.finishedAt = finishedAt;
    // A redelivered record starts afresh: the run moves to the end, as the newest.
    this.#runs.delete(id);
    this.#runs.set(id, run);
    if (this.#runs.size > this.#maxRuns) {
      const [oldestId, oldest] = this.#runs.entries().next().value as [string, WatchedRun];
      this.#forget(oldestId, oldest);
    }
    return id;
  }

  #retrying(payload: HandlerRetryPayload): void {
    this.#settlePending();
    const id = runId(payload);
    const run = this.#runs.get(id);
    if (!run) return;
    const { attempt, attempts, nextAttemptAt } = payload;
    this.#runs.set(id, { ...run, retry: { attempt, attempts, nextAttemptAt } });
  }

  #ended(payload: HandlerEndPayload): void {
    const top = this.#pending.length - 1;
    if (top >= 0 && isSameRun(this.#pending[top], payload)) {
      const start = this.#pending.pop() as HandlerStartPayload;
      const startedAt = this.#pendingAt.pop() as number;
      // A run started afresh replaces an older one of the same record, as in `#keep`.
      if (this.#runs.size > 0) this.#runs.delete(runId(payload));
      if (start.kind === 'event' || start.correlationId === undefined) return;
      const id = this.#keep(start, startedAt, this.#now());
      this.#awaitingAck.set(start.correlationId, id);
      return;
    }
    this.#settlePending();
    const id = runId(payload);
    const run = this.#runs.get(id);
    if (!run) return;
    // An event's run is over with its handler; a request's replies are acknowledged after it.
    if (run.kind === 'event' || run.correlationId === undefined) {
      this.#forget(id, run);
      return;
    }
    const { retry: _retry, ...rest } = run;
    this.#runs.set(id, { ...rest, finishedAt: this.#now() });
    this.#awaitingAck.set(run.correlationId, id);
  }

  #acked({ correlationId }: ReplyProducedPayload): void {
    const id = this.#awaitingAck.get(correlationId);
    if (id === undefined) return;
    const run = this.#runs.get(id);
    if (run) this.#forget(id, run);
    else this.#awaitingAck.delete(correlationId);
  }

  #forget(id: string, run: WatchedRun): void {
    this.#runs.delete(id);
    if (run.correlationId !== undefined && this.#awaitingAck.get(run.correlationId) === id) {
      this.#awaitingAck.delete(run.correlationId);
    }
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function isSameRun(start: HandlerStartPayload, end: HandlerStartPayload): boolean {
  return (
    start.offset === end.offset &&
    start.partition === end.partition &&
    start.handler === end.handler &&
    start.topic === end.topic
  );
}

function runId({ topic, partition, offset, handler }: HandlerStartPayload): string {
  return `${topic}/${partition}/${offset}/${handler}`;
}
