/**
 * Per-handler and per-key views of a HandlerWatch: each handler's latency percentiles over the window,
 * runs, failures, retries and dead letters; per partition, the keys waiting for a handler and the ones a
 * handler runs on, longest waiting first. Plain JSON: the page, `/views` and the history show the same.
 */
import { RxKafkaError } from '../errors';
import type { HandlerWatch, WatchedRecord } from './handler-watch';

export interface ViewHandlersOptions {
  /** Keys listed per partition, waiting and running each, longest first. @defaultValue 10 */
  readonly topKeys?: number;
  /**
   * Leaves record keys out (they are user data): each key view then names only its offset.
   * @defaultValue false
   */
  readonly hideKeys?: boolean;
}

/** One handler's figures: counts since the watch started, latencies over its window. */
export interface HandlerView {
  readonly handler: string;
  readonly pattern: string;
  readonly kind: 'request' | 'event';
  /** Runs over (failed ones included). */
  readonly runs: number;
  /** Runs failed for good (after their retries). */
  readonly failures: number;
  /** Attempts that failed and were tried again. */
  readonly retries: number;
  /** Records written to a dead-letter topic after it failed. */
  readonly deadLetters: number;
  /** Runs within the window, and their median and 99th percentile in milliseconds (absent with none). */
  readonly windowRuns: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
}

/** A key of a partition: waiting for its handler, or a handler's run on it. */
export interface KeyView {
  /** Absent when the record has none, or keys are hidden. */
  readonly key?: string;
  /** Its oldest record's offset. */
  readonly offset: string;
  /** Its records waiting (1 for a run). */
  readonly records: number;
  /** How long its oldest record has waited (fetched and not started) or run, in milliseconds. */
  readonly ms: number;
  /** The handler running (runs only). */
  readonly handler?: string;
  /** The last failed attempt, while the run waits to try again. */
  readonly retry?: { readonly attempt: number; readonly attempts: number; readonly nextAttemptAt: number };
}

export interface PartitionKeysView {
  readonly topic: string;
  readonly partition: number;
  /** Records fetched and not started on, and runs in progress, in all (the lists below are the top N). */
  readonly waitingRecords: number;
  readonly runningRecords: number;
  readonly waiting: readonly KeyView[];
  readonly running: readonly KeyView[];
}

export interface HandlerViews {
  /** Epoch milliseconds. */
  readonly at: number;
  readonly windowMs: number;
  readonly handlers: readonly HandlerView[];
  /** Partitions with something waiting or running, by topic and partition. */
  readonly partitions: readonly PartitionKeysView[];
}

/**
 * What `watch` has seen, as views.
 * @throws RxKafkaError RXK_INVALID_OPTIONS for a `topKeys` that is not a whole number, 1 or more.
 */
export function viewHandlers(watch: HandlerWatch, options: ViewHandlersOptions = {}): HandlerViews {
  const topKeys = options.topKeys ?? 10;
  if (!Number.isInteger(topKeys) || topKeys < 1) {
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      `topKeys is ${String(topKeys)}: give a whole number, 1 or more`,
      {
        path: 'topKeys',
      },
    );
  }
  const hideKeys = options.hideKeys ?? false;
  const at = watch.now();
  const handlers = [...watch.handlers.values()]
    .map((tally): HandlerView => {
      const [p50Ms, p99Ms] = tally.latencies.percentiles(at, [50, 99]);
      const { handler, pattern, kind, runs, failures, retries, deadLetters } = tally;
      return {
        handler,
        pattern,
        kind,
        runs,
        failures,
        retries,
        deadLetters,
        windowRuns: tally.latencies.values(at).length,
        ...(p50Ms === undefined ? {} : { p50Ms }),
        ...(p99Ms === undefined ? {} : { p99Ms }),
      };
    })
    .sort((a, b) => (a.handler < b.handler ? -1 : a.handler > b.handler ? 1 : 0));
  const partitions = [...watch.partitions.values()]
    .filter(({ waiting, running }) => waiting.size > 0 || running.size > 0)
    .map(({ topic, partition, waiting, running }): PartitionKeysView => ({
      topic,
      partition,
      waitingRecords: waiting.size,
      runningRecords: running.size,
      waiting: groupByKey([...waiting.values()], at, hideKeys).slice(0, topKeys),
      running: [...running.values()]
        .map((run) => toKeyView(run, 1, at, hideKeys))
        .sort(longestFirst)
        .slice(0, topKeys),
    }))
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  return { at, windowMs: watch.windowMs, handlers, partitions };
}

/** One view per key, from its oldest waiting record; records without a key are one key of their own. */
function groupByKey(records: readonly WatchedRecord[], at: number, hideKeys: boolean): KeyView[] {
  const byKey = new Map<string | undefined, { oldest: WatchedRecord; count: number }>();
  for (const record of records) {
    const group = byKey.get(record.key);
    if (!group) byKey.set(record.key, { oldest: record, count: 1 });
    else {
      group.count += 1;
      if (BigInt(record.offset) < BigInt(group.oldest.offset)) group.oldest = record;
    }
  }
  return [...byKey.values()]
    .map(({ oldest, count }) => toKeyView(oldest, count, at, hideKeys))
    .sort(longestFirst);
}

function toKeyView(record: WatchedRecord, records: number, at: number, hideKeys: boolean): KeyView {
  const { key, offset, since, handler, retry } = record;
  return {
    ...(key === undefined || hideKeys ? {} : { key }),
    offset,
    records,
    ms: at - since,
    ...(handler === undefined ? {} : { handler }),
    ...(retry === undefined ? {} : { retry }),
  };
}

function longestFirst(a: KeyView, b: KeyView): number {
  return b.ms - a.ms || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1);
}
