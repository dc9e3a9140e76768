/**
 * A NestJS application's `@MessagePattern`/`@EventPattern` handlers as the source rxkafka's pipeline routes
 * to. Nest hands a transport each handler already wrapped in its RPC pipeline (guards, interceptors, pipes,
 * exception filters: `@nestjs/microservices` `context/rpc-context-creator.ts`); rxkafka calls that wrapper
 * as it would call a method of its own controllers, with Nest's own `KafkaContext`.
 */
import type { MessageHandler } from '@nestjs/microservices';
import { KafkaContext as NestKafkaContext } from '@nestjs/microservices';
import { catchError, isObservable, throwError } from 'rxjs';
import type { HandlerDescriptor, HandlerTopics } from '../handlers/handler-registry';
import type { HandlerSource } from '../handlers/handler-source';
import type { KafkaContext } from '../handlers/kafka-context';
import { isRetriableException } from '../handlers/rpc-exception';
import { DecidedErrorPayload } from '../pipeline/error-payload';
import { isPromiseLike } from '../pipeline/to-observable';
import { toNestHandlerOptions } from './nest-handler-options';

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
 * The handler's `extras` (`@EventPattern(topic, { retry, deadLetter })`) carry rxkafka's per-handler
 * settings.
 */
export function createNestHandlerSource(server: NestHandlerMap): HandlerSource {
  // Nest's lookup JSON-parses the pattern and, for a plain topic name, throws and catches a SyntaxError:
  // costly per record, so each pattern's answer is kept (up to a bound: a custom deserializer may route on
  // caller-chosen patterns). Nest registers every handler before listen(), so an answer never goes stale.
  const found = new Map<string, HandlerDescriptor | undefined>();
  const lookup = (pattern: string): HandlerDescriptor | undefined => {
    if (found.has(pattern)) return found.get(pattern);
    const handler = server.getHandlerByPattern(pattern);
    const descriptor = handler ? toHandlerDescriptor(pattern, handler) : undefined;
    if (found.size < MAX_REMEMBERED_PATTERNS) found.set(pattern, descriptor);
    return descriptor;
  };
  return {
    findMessageHandler(pattern: string): HandlerDescriptor | undefined {
      const descriptor = lookup(pattern);
      return descriptor?.kind === 'message' ? descriptor : undefined;
    },
    findEventHandlers(pattern: string): readonly HandlerDescriptor[] {
      const descriptor = lookup(pattern);
      return descriptor?.kind === 'event' ? [descriptor] : [];
    },
    topics(): HandlerTopics {
      // Read at listen(): the extras are checked here, before the first record.
      for (const [pattern, handler] of server.getHandlers()) toNestHandlerOptions(pattern, handler);
      // Nest's Kafka transport subscribes to exactly its handlers' (normalized) patterns.
      return { strings: [...server.getHandlers().keys()], patterns: [] };
    },
  };
}

/** Patterns whose lookup is remembered; past it, lookups go to Nest each time. */
const MAX_REMEMBERED_PATTERNS = 1_024;

function toHandlerDescriptor(pattern: string, handler: MessageHandler): HandlerDescriptor {
  const kind = handler.isEventHandler ? 'event' : 'message';
  return Object.freeze({
    kind,
    pattern,
    options: toNestHandlerOptions(pattern, handler),
    controller: 'NestJS',
    method: `@${kind === 'event' ? 'EventPattern' : 'MessagePattern'}(${pattern})`,
    // An event has no reply: what its filter decided is only logged, so its result is passed as it is.
    invoke:
      kind === 'event'
        ? (payload: unknown, context: KafkaContext) => handler(payload, toNestKafkaContext(context))
        : (payload: unknown, context: KafkaContext) =>
            markDecidedErrors(handler(payload, toNestKafkaContext(context))),
  });
}

/** Nest's own `KafkaContext`, holding the same values in the same order, so `@Ctx() context: KafkaContext` works. */
export function toNestKafkaContext(context: KafkaContext): NestKafkaContext {
  // The frozen array itself: Nest's context only reads it.
  return new NestKafkaContext(
    context.getArgs() as unknown as ConstructorParameters<typeof NestKafkaContext>[0],
  );
}

/**
 * Nest's exception filters already turned a failure into the payload to reply with (the error the
 * handler's Observable emits); it is marked as decided so the pipeline sends it unchanged. A
 * `KafkaRetriableException` a filter rethrows stays itself, so rxkafka's retry policy sees it. A plain
 * value (no interceptor, no failure: the common case) passes with no stream built around it.
 */
function markDecidedErrors(result: unknown): unknown {
  return isPromiseLike(result) ? Promise.resolve(result).then(markStreamErrors) : markStreamErrors(result);
}

function markStreamErrors(value: unknown): unknown {
  if (!isObservable(value)) return value;
  return value.pipe(
    catchError((error: unknown) =>
      throwError(() => (isRetriableException(error) ? error : new DecidedErrorPayload(error))),
    ),
  );
}
