/**
 * Per-handler and per-key figures of this process, as the diagnostics channels tell of them: each
 * handler's latencies over a sliding window, its failures, retries and dead letters; and per partition,
 * the records fetched and waiting for their handler (with their keys) and those a handler runs on.
 * viewHandlers() reads it.
 *
 * Like StuckWatch, it knows only what happened after it subscribed: start it with the process. It keeps a
 * fetched batch as its list of records and how far the handlers got through it, not a record at a time.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  DIAGNOSTICS_CHANNELS,
  type BatchEndPayload,
  type BatchRecordsPayload,
  type DeadLetterSentPayload,
  type HandlerRetryPayload,
} from '../diagnostics/diagnostics-channels';
import {
  handlerNameOf,
  patternTextOf,
  type HandlerLike,
  type RecordContextLike,
} from '../diagnostics/handler-run';
import { BATCH_RECORDS, toOffsetAndKey } from '../diagnostics/publish-diagnostics';
import { RxKafkaError } from '../errors';
import type { FetchedRecord } from '../kafka/kafka-record';
import { HandlerRuns, type BookedRun, type RunObserver } from './handler-runs';
import { SlidingWindow } from './sliding-window';

export interface HandlerWatchOptions {
  /** The window latencies are read over. @defaultValue 60000 */
  readonly windowMs?: number;
  /** The clock (epoch milliseconds). @defaultValue the runs' clock (HandlerRuns) */
  readonly now?: () => number;
  /**
   * @internal The runs to read, shared with a StuckWatch (startInspector() does): give it the same clock.
   * Closing the watch leaves it open. Left out, the watch keeps a book of its own.
   */
  readonly runs?: HandlerRuns;
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

/** A fetched batch's records in offset order: those before `next` started (or were given back). */
interface FetchedRecords {
  /** The records as fetched (a payload of rxkafka's own), else the payload's `keys`. */
  readonly records: ReadonlyArray<FetchedRecord | BatchRecordsPayload['keys'][number]>;
  readonly fetched: boolean;
  readonly since: number;
  next: number;
}

/** What the watch keeps of a partition; its records waiting and running are made from it when read. */
interface PartitionBook {
  readonly topic: string;
  readonly partition: number;
  /** Batches with records not started yet, oldest first. */
  readonly batches: FetchedRecords[];
  /** Offsets started out of order (ahead of the oldest waiting record), until the batches pass them. */
  readonly startedAhead: Set<string>;
  /**
   * Batches given back: runs on their records kept before (by order of keeping) are over for this view.
   * Only those no later one covers are kept: a handful.
   */
  readonly returned: Array<{ readonly lastOffset: bigint; readonly seq: number }>;
}

/** Follows the handler and batch channels until closed. */
export class HandlerWatch implements RunObserver {
  readonly windowMs: number;
  readonly now: () => number;
  readonly handlers = new Map<string, HandlerTally>();
  readonly #books = new Map<string, PartitionBook>();
  /** The same books, by topic and partition number, for the lookup of every run. */
  readonly #booksByTopic = new Map<string, PartitionBook[]>();
  readonly #runs: HandlerRuns;
  readonly #ownsRuns: boolean;
  readonly #stopObserving: () => void;
  readonly #listeners: Array<[string, (message: unknown) => void]>;
  /** The partition and handler of the last run: consecutive runs are mostly of the same ones. */
  #lastBook: PartitionBook | undefined;
  #lastTally: HandlerTally | undefined;
  #lastHandler: HandlerLike | undefined;

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
    this.#ownsRuns = options.runs === undefined;
    this.#runs = options.runs ?? new HandlerRuns({ now: options.now });
    this.now = options.now ?? this.#runs.now;
    this.#stopObserving = this.#runs.observe(this);
    this.#listeners = [
      [DIAGNOSTICS_CHANNELS.batchStart, (message) => this.#fetched(message as BatchRecordsPayload)],
      [DIAGNOSTICS_CHANNELS.batchEnd, (message) => this.#returned(message as BatchEndPayload)],
    ];
    for (const [name, listener] of this.#listeners) subscribe(name, listener);
  }

  /** The partitions seen, by `topic/partition`, with their records waiting and running now. */
  get partitions(): ReadonlyMap<string, WatchedPartition> {
    const partitions = new Map<string, WatchedPartition>();
    for (const [id, book] of this.#books) {
      partitions.set(id, {
        topic: book.topic,
        partition: book.partition,
        waiting: waitingIn(book),
        running: new Map(),
      });
    }
    for (const run of this.#runs.running()) {
      if (run.finishedAt !== undefined) continue;
      const { topic, partition, offset, key, handler } = run.start;
      const id = `${topic}/${partition}`;
      const book = this.#books.get(id);
      const offsetNumber = BigInt(offset);
      if (book && isReturned(book, offsetNumber, run.seq)) continue;
      let watched = partitions.get(id);
      if (!watched) {
        watched = { topic, partition, waiting: new Map(), running: new Map() };
        partitions.set(id, watched);
      }
      // A retry starts again on the same run: it keeps its first start, so its wait shows whole.
      const since =
        book && isReturnedBetween(book, offsetNumber, run.firstSeq, run.seq)
          ? run.startedAt
          : run.firstStartedAt;
      watched.running.set(`${offset}/${handler}`, toRunningRecord(run, since, key));
    }
    return partitions;
  }

  /** Stops listening; what was seen stays readable. */
  close(): void {
    for (const [name, listener] of this.#listeners) unsubscribe(name, listener);
    this.#stopObserving();
    if (this.#ownsRuns) this.#runs.close();
  }

  #fetched(payload: BatchRecordsPayload): void {
    const fetched = (payload as { [BATCH_RECORDS]?: readonly FetchedRecord[] })[BATCH_RECORDS];
    const records = fetched ?? payload.keys;
    if (records.length === 0) return;
    const batch = { records, fetched: fetched !== undefined, since: this.now(), next: 0 };
    this.#book(payload.topic, payload.partition).batches.push(batch);
  }

  // A batch returned is done, or failed and fetched again: none of its records waits any more.
  #returned({ topic, partition, lastOffset }: BatchEndPayload): void {
    if (lastOffset === undefined) return;
    const book = this.#books.get(`${topic}/${partition}`);
    if (!book) return;
    const last = BigInt(lastOffset);
    for (const batch of book.batches) {
      const { records } = batch;
      // Mostly the batch itself: all of it is passed at once, not a record at a time.
      if (BigInt(records[records.length - 1].offset) <= last) batch.next = records.length;
      while (batch.next < records.length && BigInt(records[batch.next].offset) <= last) batch.next++;
    }
    dropStarted(book);
    for (const offset of book.startedAhead) if (BigInt(offset) <= last) book.startedAhead.delete(offset);
    const seq = this.#runs.nextSeq;
    const covering = book.returned.filter((returned) => returned.lastOffset > last);
    book.returned.length = 0;
    book.returned.push(...covering, { lastOffset: last, seq });
  }

  /** @internal Told by the runs: the handler left the record's waiting place. */
  runStarted(_kind: 'request' | 'event', _handler: HandlerLike, context: RecordContextLike): void {
    const { topic, partition, offset } = context.getMessage();
    const book = this.#book(topic, partition);
    const batch = book.batches[0];
    if (batch === undefined) {
      book.startedAhead.add(offset);
      return;
    }
    if (batch.records[batch.next].offset === offset) {
      batch.next++;
      if (book.startedAhead.size > 0) skipStartedAhead(book, batch);
      if (batch.next === batch.records.length) dropStarted(book);
    } else if (batch.next === 0 || batch.records[batch.next - 1].offset !== offset) {
      // Out of order (ordering by key lets a later record start first), or a second handler's start.
      book.startedAhead.add(offset);
    }
  }

  /** @internal */
  runRetrying(payload: HandlerRetryPayload): void {
    this.#tallyNamed(payload.handler, payload.pattern, payload.kind).retries += 1;
  }

  /** @internal */
  runFailed(kind: 'request' | 'event', handler: HandlerLike): void {
    this.#tally(kind, handler).failures += 1;
  }

  /** @internal */
  runEnded(
    kind: 'request' | 'event',
    handler: HandlerLike,
    durationMs: number | undefined,
    at: number,
  ): void {
    const tally = this.#tally(kind, handler);
    tally.runs += 1;
    if (durationMs !== undefined) tally.latencies.add(at, durationMs);
  }

  /** @internal */
  runDeadLettered(payload: DeadLetterSentPayload): void {
    this.#tallyNamed(payload.handler, payload.pattern, payload.kind).deadLetters += 1;
  }

  #book(topic: string, partition: number): PartitionBook {
    const last = this.#lastBook;
    if (last?.partition === partition && last.topic === topic) return last;
    // By topic, then by partition number: batches of several partitions interleave, and a run of each
    // comes here; an id string made per run would be an allocation per record.
    let ofTopic = this.#booksByTopic.get(topic);
    if (!ofTopic) {
      ofTopic = [];
      this.#booksByTopic.set(topic, ofTopic);
    }
    let book = ofTopic[partition];
    if (!book) {
      book = { topic, partition, batches: [], startedAhead: new Set(), returned: [] };
      ofTopic[partition] = book;
      this.#books.set(`${topic}/${partition}`, book);
    }
    this.#lastBook = book;
    return book;
  }

  /** `handler`'s figures: the last run's are at hand, by the descriptor itself. */
  #tally(kind: 'request' | 'event', handler: HandlerLike): HandlerTally {
    if (this.#lastHandler === handler && this.#lastTally !== undefined) return this.#lastTally;
    const tally = this.#tallyNamed(handlerNameOf(handler), patternTextOf(handler), kind);
    this.#lastHandler = handler;
    return tally;
  }

  #tallyNamed(handler: string, pattern: string, kind: 'request' | 'event'): HandlerTally {
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
    this.#lastHandler = undefined;
    return tally;
  }
}

/** Moves `batch` past the records that started ahead of it. */
function skipStartedAhead(book: PartitionBook, batch: FetchedRecords): void {
  while (batch.next < batch.records.length && book.startedAhead.delete(batch.records[batch.next].offset)) {
    batch.next++;
  }
}

/** Drops the oldest batches once every record of theirs started, and moves the next past its own. */
function dropStarted(book: PartitionBook): void {
  while (book.batches.length > 0 && book.batches[0].next === book.batches[0].records.length) {
    book.batches.shift();
    if (book.batches.length > 0 && book.startedAhead.size > 0) skipStartedAhead(book, book.batches[0]);
  }
}

/** The records of `book` not started, by offset; a record fetched again shows its latest fetch. */
function waitingIn(book: PartitionBook): Map<string, WatchedRecord> {
  const waiting = new Map<string, WatchedRecord>();
  for (const { records, fetched, since, next } of book.batches) {
    for (let index = next; index < records.length; index++) {
      const record = records[index];
      const { offset, key } = fetched
        ? toOffsetAndKey(record as FetchedRecord)
        : (record as { offset: string; key?: string });
      if (book.startedAhead.has(offset)) continue;
      waiting.set(offset, key === undefined ? { offset, since } : { offset, key, since });
    }
  }
  return waiting;
}

/** True when a batch given back after the run was kept covers its record. */
function isReturned(book: PartitionBook, offset: bigint, seq: number): boolean {
  return book.returned.some((returned) => offset <= returned.lastOffset && seq < returned.seq);
}

/** True when a batch covering the record was given back between the run's first attempt and this one. */
function isReturnedBetween(book: PartitionBook, offset: bigint, firstSeq: number, seq: number): boolean {
  return book.returned.some(
    (returned) => offset <= returned.lastOffset && firstSeq < returned.seq && returned.seq <= seq,
  );
}

function toRunningRecord(run: BookedRun, since: number, key: string | undefined): WatchedRecord {
  const { offset, handler } = run.start;
  const record: { -readonly [K in keyof WatchedRecord]: WatchedRecord[K] } = { offset, since, handler };
  if (key !== undefined) record.key = key;
  if (run.retry !== undefined) record.retry = run.retry;
  return record;
}
