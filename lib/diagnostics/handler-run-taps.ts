/**
 * Taps: this package's own readers of handler runs (the inspector's book of runs), told of each start, end
 * and failure by the same publish points as the channels, with the handler and its record's context as
 * they are. A channel's listener gets a payload object per run; a tap gets none, so following every run of
 * a hundred thousand a second allocates nothing. A tap makes a payload (handler-run.ts) only for a run it
 * keeps, one that outlives its start's turn. The channels stay the catalog for everyone else.
 */
import type { HandlerLike, RecordContextLike } from './handler-run';

/** Hears handler runs from the publish points; each call is on the hot path: quick, and never throws. */
export interface HandlerRunTap {
  /** `handler` starts on `context`'s record (`rxkafka:handler:start`). */
  runStarted(
    kind: 'request' | 'event',
    handler: HandlerLike,
    context: RecordContextLike,
    correlationId: string | undefined,
  ): void;
  /** `handler` failed for good on it (`rxkafka:handler:error`); its end follows. */
  runFailed(kind: 'request' | 'event', handler: HandlerLike, context: RecordContextLike): void;
  /** The run is over (`rxkafka:handler:end`). */
  runEnded(
    kind: 'request' | 'event',
    handler: HandlerLike,
    context: RecordContextLike,
    correlationId: string | undefined,
  ): void;
}

/** The taps now, read by the publish points: replaced, never changed in place, so a loop over it is safe. */
export let handlerRunTaps: readonly HandlerRunTap[] = [];

/** Tells `tap` of every handler run from now on. Returns how to stop. */
export function tapHandlerRuns(tap: HandlerRunTap): () => void {
  handlerRunTaps = [...handlerRunTaps, tap];
  return () => {
    handlerRunTaps = handlerRunTaps.filter((other) => other !== tap);
  };
}
