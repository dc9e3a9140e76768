import type { HandlerDescriptor, HandlerTopics } from './handler-registry';

/**
 * Where the pipeline finds a record's handlers: rxkafka's `HandlerRegistry` (controllers from an inversify
 * container), or another source such as a NestJS application's own handlers (rxkafka/nestjs). The routing
 * rules that use it (`MessageRouter`) are the same for every source.
 */
export interface HandlerSource {
  /** The one message handler of `pattern`, if any. */
  findMessageHandler(pattern: string): HandlerDescriptor | undefined;
  /** Every event handler of `pattern`, in the order they run; empty when there is none. */
  findEventHandlers(pattern: string): readonly HandlerDescriptor[];
  /** The topics and RegExps the server's consumer subscribes to. */
  topics(): HandlerTopics;
}
