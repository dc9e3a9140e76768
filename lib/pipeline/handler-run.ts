/**
 * A handler's run as the request and event paths see it: the outcome of a first run made on the fast path,
 * replayed on the general path so the handler never runs twice for one attempt, and how a handler and a
 * record are named in log lines.
 */
import type { HandlerDescriptor } from '../handlers/handler-registry';
import type { KafkaContext } from '../handlers/kafka-context';
import type { IncomingMessage } from '../wire/parser';

/** What a first run of a handler gave: its result, or what it threw. */
export type FirstRun = { readonly result: unknown } | { readonly error: unknown };

/** Runs the handler, or, given the outcome of a run already made, returns (or throws) that instead. */
export function invokeOrReplay(
  handler: HandlerDescriptor,
  data: unknown,
  context: KafkaContext,
  first: FirstRun | undefined,
): unknown {
  if (!first) return handler.invoke(data, context);
  if ('error' in first) throw first.error;
  return first.result;
}

/** `Controller.method`, for log lines and dead-letter headers. */
export function describeHandler(handler: HandlerDescriptor): string {
  return `${handler.controller}.${handler.method}`;
}

/** A record's topic, partition and offset, the fields of every log line about it. */
export function locate(message: IncomingMessage): Record<string, unknown> {
  return { topic: message.topic, partition: message.partition, offset: message.offset };
}
