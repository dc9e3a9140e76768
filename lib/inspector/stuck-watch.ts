/**
 * The handler runs of this process as the diagnostics channels tell of them: which handler runs on which
 * record (and its key), which retries and when its next attempt starts, and which request's handler is done
 * while its replies wait for Kafka's acknowledgement. explainStuck() reads it to name what holds a partition.
 *
 * The runtime keeps none of this per record (a handler run costs no allocation when nobody listens), so it
 * is known only from the moment a watch subscribes: start it with the process, not when something is stuck.
 */
import type { HandlerStartPayload } from '../diagnostics/diagnostics-channels';
import { HandlerRuns, type BookedRun } from './handler-runs';

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
  /**
   * @internal The runs to read, shared with a HandlerWatch (startInspector() does): its clock and `maxRuns`
   * apply, and closing the watch leaves it open. Left out, the watch keeps a book of its own.
   */
  readonly runs?: HandlerRuns;
}

/** Follows handler runs until closed. */
export class StuckWatch {
  readonly #runs: HandlerRuns;
  readonly #ownsRuns: boolean;

  constructor(options: StuckWatchOptions = {}) {
    this.#ownsRuns = options.runs === undefined;
    this.#runs = options.runs ?? new HandlerRuns({ now: options.now, maxRuns: options.maxRuns });
  }

  /**
   * The runs on a partition not known to be over, oldest first. Runs at or below `finishedOffset` (the
   * partition's finished prefix) are over whatever the watch last heard, and are forgotten here.
   */
  runsOn(topic: string, partition: number, finishedOffset?: string): WatchedRun[] {
    return this.#runs.runsOn(topic, partition, finishedOffset).map(toWatchedRun);
  }

  /** Stops listening; what was seen stays readable. */
  close(): void {
    if (this.#ownsRuns) this.#runs.close();
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

// Built field by field: a run's fields as its start told them, without what the start does not carry.
function toWatchedRun({ start, startedAt, finishedAt, retry }: BookedRun): WatchedRun {
  const { kind, handler, pattern, topic, partition, offset, key, correlationId, traceId } = start;
  const run: Mutable<WatchedRun> = { kind, handler, pattern, topic, partition, offset, startedAt };
  if (key !== undefined) run.key = key;
  if (correlationId !== undefined) run.correlationId = correlationId;
  if (traceId !== undefined) run.traceId = traceId;
  if (finishedAt !== undefined) run.finishedAt = finishedAt;
  if (retry !== undefined) run.retry = retry;
  return run;
}
