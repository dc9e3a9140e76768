/**
 * `HandlerRuns`: the handler runs of this process as the catalog tells of them, kept once for both of the
 * inspector's watches. StuckWatch reads which run holds a partition; HandlerWatch reads the runs in progress
 * per partition and hears each run's start and end (its figures).
 *
 * Starts, ends and failures come through a tap (handler-run-taps.ts), not the channels: a run is heard as
 * its handler and record context, and a payload is made only for a run kept past its start's turn. Retries,
 * acknowledged replies and dead letters, a few per record at most, come from their channels.
 *
 * The runtime keeps none of this per record (a handler run costs no allocation when nobody listens), so it
 * is known only from the moment the book subscribes: start it with the process.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  DIAGNOSTICS_CHANNELS,
  type DeadLetterSentPayload,
  type HandlerRetryPayload,
  type HandlerStartPayload,
  type ReplyProducedPayload,
} from '../diagnostics/diagnostics-channels';
import {
  handlerNameOf,
  toHandlerPayload,
  type HandlerLike,
  type RecordContextLike,
} from '../diagnostics/handler-run';
import { tapHandlerRuns, type HandlerRunTap } from '../diagnostics/handler-run-taps';

export interface HandlerRunsOptions {
  /**
   * The clock runs are timed with (epoch milliseconds). @defaultValue the monotonic clock from the
   * process's start time: fractions of a millisecond, for handler latencies
   */
  readonly now?: () => number;
  /** Runs kept at most; past it the oldest are forgotten. @defaultValue 10000 */
  readonly maxRuns?: number;
}

/** A run as the book keeps it: its start payload (made when kept) and what happened since. */
export interface BookedRun {
  readonly start: HandlerStartPayload;
  /** Order of keeping: a later run has a higher one. */
  readonly seq: number;
  /** Epoch milliseconds of this attempt's start. */
  readonly startedAt: number;
  /** The first attempt's start and order, carried over while the same run starts again (a retry). */
  readonly firstStartedAt: number;
  readonly firstSeq: number;
  /** Set while a finished request's replies wait for acknowledgement. */
  finishedAt?: number;
  retry?: { readonly attempt: number; readonly attempts: number; readonly nextAttemptAt: number };
  /** A reader was told the partition finished past it: StuckWatch no longer lists it. */
  overtaken?: boolean;
}

/** What a watch hears of each run besides what the book keeps (HandlerWatch's figures). */
export interface RunObserver {
  runStarted(kind: 'request' | 'event', handler: HandlerLike, context: RecordContextLike): void;
  runRetrying(payload: HandlerRetryPayload): void;
  runFailed(kind: 'request' | 'event', handler: HandlerLike): void;
  /** `durationMs` is undefined for a run whose start the book did not hear (or forgot); `at` is its end. */
  runEnded(kind: 'request' | 'event', handler: HandlerLike, durationMs: number | undefined, at: number): void;
  runDeadLettered(payload: DeadLetterSentPayload): void;
}

/** Epoch milliseconds with fractions, never going back: a handler's run of 50 µs is timed, not 0 or 1 ms. */
function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

const DEFAULT_MAX_RUNS = 10_000;

/** Follows handler runs until closed. */
export class HandlerRuns implements HandlerRunTap {
  readonly now: () => number;
  readonly #maxRuns: number;
  /** Runs not finished, by `topic/partition/offset/handler`, oldest first (a Map keeps insertion order). */
  readonly #runs = new Map<string, BookedRun>();
  /** Finished request runs by correlation id, until their replies are acknowledged: no id string is made. */
  readonly #awaitingAck = new Map<string, BookedRun>();
  /**
   * Runs started and not yet kept, newest last, as they were heard: one stack per field, so pushing one
   * allocates nothing. A synchronous handler (most event handlers) ends before anything else runs: its end
   * meets its start on top of these stacks and touches no map. Everything else, and every read, keeps them.
   */
  readonly #pendingKinds: Array<'request' | 'event'> = [];
  readonly #pendingHandlers: HandlerLike[] = [];
  readonly #pendingContexts: RecordContextLike[] = [];
  readonly #pendingCorrelationIds: Array<string | undefined> = [];
  readonly #pendingAt: number[] = [];
  #seq = 0;
  #observer: RunObserver | undefined;
  readonly #untap: () => void;
  readonly #listeners: Array<[string, (message: unknown) => void]>;
  readonly #observerListeners: Array<[string, (message: unknown) => void]>;

  constructor(options: HandlerRunsOptions = {}) {
    this.now = options.now ?? preciseNow;
    this.#maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
    this.#listeners = [
      [DIAGNOSTICS_CHANNELS.handlerRetry, (message) => this.#retrying(message as HandlerRetryPayload)],
      [DIAGNOSTICS_CHANNELS.replyProduced, (message) => this.#acked(message as ReplyProducedPayload)],
    ];
    // Heard only for an observer: a payload on this channel is built only while someone listens.
    this.#observerListeners = [
      [
        DIAGNOSTICS_CHANNELS.deadLetterSent,
        (message) => this.#observer?.runDeadLettered(message as DeadLetterSentPayload),
      ],
    ];
    for (const [name, listener] of this.#listeners) subscribe(name, listener);
    this.#untap = tapHandlerRuns(this);
  }

  /** Tells `observer` of every run from now on (one observer: HandlerWatch). Returns how to stop. */
  observe(observer: RunObserver): () => void {
    if (this.#observer === undefined) {
      for (const [name, listener] of this.#observerListeners) subscribe(name, listener);
    }
    this.#observer = observer;
    return () => {
      if (this.#observer !== observer) return;
      this.#observer = undefined;
      for (const [name, listener] of this.#observerListeners) unsubscribe(name, listener);
    };
  }

  /** The order the next kept run gets: a run kept before this call has a lower one. */
  get nextSeq(): number {
    this.#keepPending();
    return this.#seq + 1;
  }

  /** The runs not finished (nor awaiting acknowledgement), oldest first. */
  running(): IterableIterator<BookedRun> {
    this.#keepPending();
    return this.#runs.values();
  }

  /**
   * The runs on a partition not known to be over, oldest first, finished requests awaiting acknowledgement
   * included. Runs at or below `finishedOffset` (the partition's finished prefix) are over whatever the book
   * last heard: a finished one is forgotten, one still going is no longer listed here.
   */
  runsOn(topic: string, partition: number, finishedOffset?: string): BookedRun[] {
    this.#keepPending();
    const finished = finishedOffset === undefined ? undefined : BigInt(finishedOffset);
    const runs: BookedRun[] = [];
    const collect = (run: BookedRun, forget: () => void): void => {
      if (run.start.topic !== topic || run.start.partition !== partition || run.overtaken) return;
      if (finished !== undefined && BigInt(run.start.offset) <= finished) {
        if (run.finishedAt === undefined) run.overtaken = true;
        else forget();
        return;
      }
      runs.push(run);
    };
    for (const [id, run] of this.#runs) collect(run, () => this.#runs.delete(id));
    for (const [correlationId, run] of this.#awaitingAck) {
      collect(run, () => this.#awaitingAck.delete(correlationId));
    }
    return newestOfEachRecord(runs.sort(bySeq));
  }

  /** Stops listening; what was seen stays readable. */
  close(): void {
    this.#untap();
    for (const [name, listener] of this.#listeners) unsubscribe(name, listener);
    if (this.#observer !== undefined) {
      for (const [name, listener] of this.#observerListeners) unsubscribe(name, listener);
    }
    this.#observer = undefined;
  }

  /** @internal The tap: `handler` starts on `context`'s record. */
  runStarted(
    kind: 'request' | 'event',
    handler: HandlerLike,
    context: RecordContextLike,
    correlationId: string | undefined,
  ): void {
    this.#pendingKinds.push(kind);
    this.#pendingHandlers.push(handler);
    this.#pendingContexts.push(context);
    this.#pendingCorrelationIds.push(correlationId);
    this.#pendingAt.push(this.now());
    this.#observer?.runStarted(kind, handler, context);
    if (this.#pendingAt.length > this.#maxRuns) this.#keepPending();
  }

  /** @internal The tap: `handler` failed for good; its end follows. */
  runFailed(kind: 'request' | 'event', handler: HandlerLike): void {
    this.#observer?.runFailed(kind, handler);
  }

  /** @internal The tap: the run is over. */
  runEnded(
    kind: 'request' | 'event',
    handler: HandlerLike,
    context: RecordContextLike,
    correlationId: string | undefined,
  ): void {
    const at = this.now();
    const top = this.#pendingAt.length - 1;
    if (top >= 0 && this.#pendingContexts[top] === context && this.#pendingHandlers[top] === handler) {
      const startedAt = this.#pendingAt.pop() as number;
      this.#pendingKinds.pop();
      this.#pendingHandlers.pop();
      this.#pendingContexts.pop();
      this.#pendingCorrelationIds.pop();
      // A run started afresh replaces an older one of the same record, as in `#keep`.
      if (this.#runs.size > 0) this.#runs.delete(runIdOf(handler, context));
      this.#observer?.runEnded(kind, handler, at - startedAt, at);
      if (kind === 'event' || correlationId === undefined) return;
      const seq = ++this.#seq;
      const start = toHandlerPayload(kind, handler, context, correlationId);
      const run: BookedRun = { start, seq, startedAt, firstStartedAt: startedAt, firstSeq: seq };
      run.finishedAt = at;
      this.#awaitAck(correlationId, run);
      return;
    }
    this.#keepPending();
    const id = runIdOf(handler, context);
    const run = this.#runs.get(id);
    this.#observer?.runEnded(kind, handler, run === undefined ? undefined : at - run.startedAt, at);
    if (!run) return;
    this.#runs.delete(id);
    // An event's run is over with its handler; a request's replies are acknowledged after it.
    const { correlationId: kept } = run.start;
    if (run.start.kind === 'event' || kept === undefined) return;
    run.finishedAt = at;
    run.retry = undefined;
    this.#awaitAck(kept, run);
  }

  /** Keeps the pending runs, oldest first. */
  #keepPending(): void {
    for (let index = 0; index < this.#pendingAt.length; index++) {
      const start = toHandlerPayload(
        this.#pendingKinds[index],
        this.#pendingHandlers[index],
        this.#pendingContexts[index],
        this.#pendingCorrelationIds[index],
      );
      this.#keep(start, this.#pendingAt[index]);
    }
    this.#pendingKinds.length = 0;
    this.#pendingHandlers.length = 0;
    this.#pendingContexts.length = 0;
    this.#pendingCorrelationIds.length = 0;
    this.#pendingAt.length = 0;
  }

  #keep(start: HandlerStartPayload, startedAt: number): void {
    const id = runId(start);
    const earlier = this.#runs.get(id);
    const seq = ++this.#seq;
    // A run starting again (a retry, a redelivery) is kept anew, as the newest; its first start is carried.
    const run: BookedRun = {
      start,
      seq,
      startedAt,
      firstStartedAt: earlier?.firstStartedAt ?? startedAt,
      firstSeq: earlier?.firstSeq ?? seq,
    };
    if (earlier) this.#runs.delete(id);
    this.#runs.set(id, run);
    this.#trim();
  }

  #retrying(payload: HandlerRetryPayload): void {
    this.#keepPending();
    const run = this.#runs.get(runId(payload));
    if (run) {
      const { attempt, attempts, nextAttemptAt } = payload;
      run.retry = { attempt, attempts, nextAttemptAt };
    }
    this.#observer?.runRetrying(payload);
  }

  #awaitAck(correlationId: string, run: BookedRun): void {
    const other = this.#awaitingAck.get(correlationId);
    // Another handler's run on the same request stays listed, finished, until a read forgets it.
    if (other) this.#runs.set(runId(other.start), other);
    this.#awaitingAck.set(correlationId, run);
    this.#trim();
  }

  #acked({ correlationId }: ReplyProducedPayload): void {
    if (this.#awaitingAck.size > 0) this.#awaitingAck.delete(correlationId);
  }

  /** Forgets the oldest runs past `maxRuns`. */
  #trim(): void {
    while (this.#runs.size + this.#awaitingAck.size > this.#maxRuns) {
      const running = this.#runs.entries().next().value as [string, BookedRun] | undefined;
      const awaiting = this.#awaitingAck.entries().next().value as [string, BookedRun] | undefined;
      if (running && (!awaiting || running[1].seq < awaiting[1].seq)) this.#runs.delete(running[0]);
      else if (awaiting) this.#awaitingAck.delete(awaiting[0]);
    }
  }
}

/** `topic/partition/offset/handler`: one handler's run on one record. */
export function runId({ topic, partition, offset, handler }: HandlerStartPayload): string {
  return `${topic}/${partition}/${offset}/${handler}`;
}

/** `runId` of `handler`'s run on `context`'s record, made without its payload. */
function runIdOf(handler: HandlerLike, context: RecordContextLike): string {
  const { topic, partition, offset } = context.getMessage();
  return `${topic}/${partition}/${offset}/${handlerNameOf(handler)}`;
}

function bySeq(a: BookedRun, b: BookedRun): number {
  return a.seq - b.seq;
}

/** A record started afresh while its earlier run waited for acknowledgement shows as its newest run only. */
function newestOfEachRecord(runs: BookedRun[]): BookedRun[] {
  if (runs.length < 2) return runs;
  const newest = new Map<string, BookedRun>();
  for (const run of runs) {
    const id = runId(run.start);
    newest.delete(id);
    newest.set(id, run);
  }
  return newest.size === runs.length ? runs : [...newest.values()];
}
