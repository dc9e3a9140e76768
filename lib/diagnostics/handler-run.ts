/**
 * A handler run as the catalog describes it: the handler's names, and the `rxkafka:handler:*` payload
 * made from the handler and its record's context. Shared by the channels' publish points and by the taps
 * that hear runs without a payload (handler-run-taps.ts), which make one only for a run they keep.
 */
import { traceIdOf } from '../tracing/trace-id';
import type { HandlerStartPayload } from './diagnostics-channels';

/** What a handler run is published with: the descriptor's names (structural, so this layer imports none). */
export interface HandlerLike {
  readonly controller: string;
  readonly method: string;
  readonly pattern: string | RegExp;
}

/** The record a handler runs on, as its KafkaContext gives it. */
export interface RecordContextLike {
  getMessage(): {
    readonly topic: string;
    readonly partition: number;
    readonly offset: string;
    readonly key?: unknown;
    readonly headers?: Readonly<Record<string, unknown>>;
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** `Controller.method` of each handler, made once: a run compares and keys by it, as one flat string. */
const handlerNames = new WeakMap<HandlerLike, string>();

/** `Controller.method`. */
export function handlerNameOf(handler: HandlerLike): string {
  let name = handlerNames.get(handler);
  if (name === undefined) {
    name = `${handler.controller}.${handler.method}`;
    handlerNames.set(handler, name);
  }
  return name;
}

/** The handler's pattern as declared, a RegExp pattern as its source text. */
export function patternTextOf({ pattern }: HandlerLike): string {
  return typeof pattern === 'string' ? pattern : pattern.source;
}

// Built field by field rather than with conditional spreads: a payload per handler run on the hot path
// while anyone listens, and a spread copies into a fresh object each time.
/** The `rxkafka:handler:start` payload of `handler`'s run on `context`'s record. */
export function toHandlerPayload(
  kind: 'request' | 'event',
  handler: HandlerLike,
  context: RecordContextLike,
  correlationId: string | undefined,
): Mutable<HandlerStartPayload> {
  const { topic, partition, offset, key, headers } = context.getMessage();
  const payload: Mutable<HandlerStartPayload> = {
    kind,
    handler: handlerNameOf(handler),
    pattern: patternTextOf(handler),
    topic,
    partition,
    offset,
  };
  if (key !== undefined && key !== null) payload.key = toKeyText(key);
  if (correlationId !== undefined) payload.correlationId = correlationId;
  const traceId = traceIdOf(headers);
  if (traceId !== undefined) payload.traceId = traceId;
  return payload;
}

/** A decoded key as text; one JSON cannot show (a BigInt, a cycle) as String() has it. */
function toKeyText(key: unknown): string {
  if (typeof key === 'string') return key;
  try {
    return JSON.stringify(key) ?? String(key);
  } catch {
    return String(key);
  }
}
