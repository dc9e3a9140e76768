import { addPatternMetadata, type HandlerPattern } from './handler-metadata';
import type { HandlerOptions } from './handler-options';

/**
 * Declares a request handler for a topic (a string) or for every topic a RegExp matches, as in NestJS.
 *
 * A record carrying `kafka_correlationId` and `kafka_replyTopic` is a request: the method's return value
 * (a value, a Promise or an Observable) becomes the reply. A record without them is an event: it runs the
 * topic's `@EventPattern` handlers or, when it has none, this method with its return value dropped, as
 * NestJS does. Each pattern may have one message handler in the whole registry (`HandlerRegistry` throws
 * on a second one, where NestJS lets the last win); several `@MessagePattern` on one method are allowed.
 * `options` sets this handler's retry policy and dead-letter topic (see HandlerOptions).
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` at decoration time for an empty pattern, a member that is not
 *   an instance method, or the same pattern twice on one method.
 */
export function MessagePattern(pattern: HandlerPattern, options?: HandlerOptions): MethodDecorator {
  return (target, key, descriptor) =>
    addPatternMetadata(target, key, descriptor, {
      kind: 'message',
      pattern,
      ...(options ? { options } : {}),
    });
}
