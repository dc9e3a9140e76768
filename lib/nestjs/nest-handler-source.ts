/**
 * A NestJS application's `@MessagePattern`/`@EventPattern` handlers as the source rxkafka's pipeline routes
 * to. Nest hands a transport each handler already wrapped in its RPC pipeline (guards, interceptors, pipes,
 * exception filters: `@nestjs/microservices` `context/rpc-context-creator.ts`); rxkafka calls that wrapper
 * as it would call a method of its own controllers, with Nest's own `KafkaContext`.
 */
import type { MessageHandler } from '@nestjs/microservices';
import { KafkaContext as NestKafkaContext } from '@nestjs/microservices';
import { catchError, defer, isObservable, mergeMap, of, throwError, type Observable } from 'rxjs';
import type { HandlerOptions } from '../handlers/handler-options';
import type { HandlerDescriptor, HandlerTopics } from '../handlers/handler-registry';
import type { HandlerSource } from '../handlers/handler-source';
import type { KafkaContext } from '../handlers/kafka-context';
import { isRetriableException } from '../handlers/rpc-exception';
import { DecidedErrorPayload } from '../pipeline/error-payload';

/** What the source needs of a NestJS `Server`: its handler map, and its lookup by a record's pattern. */
export interface NestHandlerMap {
  getHandlers(): Map<string, MessageHandler>;
  getHandlerByPattern(pattern: string): MessageHandler | null;
}

/**
 * Nest's handlers of `server`, looked up as `ServerKafka` does (`Server.getHandlerByPattern`, which
 * JSON-parses and normalizes the pattern): a handler marked `isEventHandler` is the topic's event handler
 * (Nest chains several `@EventPattern`s of one topic into one), any other its message handler.
 *
 * The handler's `extras` (`@MessagePattern(topic, { retry, deadLetter })`) carry rxkafka's per-handler
 * settings.
 */
export function createNestHandlerSource(server: NestHandlerMap): HandlerSource {
  const descriptors = new WeakMap<MessageHandler, HandlerDescriptor>();
  const describe = (pattern: string, handler: MessageHandler): HandlerDescriptor => {
    let descriptor = descriptors.get(handler);
    if (!descriptor) {
      descriptor = toHandlerDescriptor(pattern, handler);
      descriptors.set(handler, descriptor);
    }
    return descriptor;
  };
  return {
    findMessageHandler(pattern: string): HandlerDescriptor | undefined {
      const handler = server.getHandlerByPattern(pattern);
      return handler && !handler.isEventHandler ? describe(pattern, handler) : undefined;
    },
    findEventHandlers(pattern: string): readonly HandlerDescriptor[] {
      const handler = server.getHandlerByPattern(pattern);
      return handler?.isEventHandler ? [describe(pattern, handler)] : [];
    },
    topics(): HandlerTopics {
      // Nest's Kafka transport subscribes to exactly its handlers' (normalized) patterns.
      return { strings: [...server.getHandlers().keys()], patterns: [] };
    },
  };
}

function toHandlerDescriptor(pattern: string, handler: MessageHandler): HandlerDescriptor {
  const kind = handler.isEventHandler ? 'event' : 'message';
  return Object.freeze({
    kind,
    pattern,
    options: toHandlerOptions(handler.extras),
    controller: 'NestJS',
    method: `@${kind === 'event' ? 'EventPattern' : 'MessagePattern'}(${pattern})`,
    invoke: (payload: unknown, context: KafkaContext) =>
      toDecidedErrors(() => handler(payload, toNestKafkaContext(context))),
  });
}

/** Nest's own `KafkaContext`, holding the same values in the same order, so `@Ctx() context: KafkaContext` works. */
export function toNestKafkaContext(context: KafkaContext): NestKafkaContext {
  return new NestKafkaContext([...context.getArgs()] as unknown as ConstructorParameters<
    typeof NestKafkaContext
  >[0]);
}

/**
 * Nest's exception filters already turned a failure into the payload to reply with (the error the
 * handler's Observable emits); it is marked as decided so the pipeline sends it unchanged. A
 * `KafkaRetriableException` a filter rethrows stays itself, so rxkafka's retry policy sees it.
 */
function toDecidedErrors(run: () => Promise<unknown>): Observable<unknown> {
  // Nest's handlers are async; Promise.resolve() also takes a plain function's value (a test's stub).
  return defer(() => Promise.resolve(run())).pipe(
    mergeMap((value) => (isObservable(value) ? value : of(value))),
    catchError((error: unknown) =>
      throwError(() => (isRetriableException(error) ? error : new DecidedErrorPayload(error))),
    ),
  );
}

function toHandlerOptions(extras: Record<string, unknown> | undefined): HandlerOptions {
  if (!extras) return {};
  const options: { retry?: HandlerOptions['retry']; deadLetter?: HandlerOptions['deadLetter'] } = {};
  if (typeof extras.retry === 'object' && extras.retry !== null) {
    options.retry = extras.retry as HandlerOptions['retry'];
  }
  if (typeof extras.deadLetter === 'boolean' || typeof extras.deadLetter === 'string') {
    options.deadLetter = extras.deadLetter;
  }
  return Object.freeze(options);
}
