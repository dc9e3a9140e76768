import { addPatternMetadata, type HandlerPattern } from './handler-metadata';
import type { HandlerOptions } from './handler-options';

/**
 * Declares an event handler for a topic (a string) or for every topic a RegExp matches, as in NestJS.
 *
 * Event handlers never reply, even to a record that carries correlation headers. Several event handlers
 * may share a topic (across methods and controllers); all of them run for each record.
 * `options` sets this handler's retry policy and dead-letter topic (see HandlerOptions).
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` at decoration time for an empty pattern, a member that is not
 *   an instance method, or the same pattern twice on one method.
 */
export function EventPattern(pattern: HandlerPattern, options?: HandlerOptions): MethodDecorator {
  return (target, key, descriptor) =>
    addPatternMetadata(target, key, descriptor, { kind: 'event', pattern, ...(options ? { options } : {}) });
}
