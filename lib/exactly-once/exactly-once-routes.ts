/**
 * Which topics the server handles exactly once: those of `@EventPattern(topic, { exactlyOnce: true })`
 * handlers. They are consumed by a group of their own, so each such topic must have that one handler and
 * no other (a second handler would run outside the transaction, or read the topic in the other group).
 */
import { RxKafkaError } from '../errors';
import type { HandlerDescriptor, HandlerTopics } from '../handlers/handler-registry';
import type { HandlerSource } from '../handlers/handler-source';
import { describeHandler } from '../pipeline/handler-run';

export interface ExactlyOnceRoutes {
  /** The subscription of the server's at-least-once connection: every topic but the exactly-once ones. */
  readonly atLeastOnceTopics: HandlerTopics;
  /** The exactly-once handler of each exactly-once topic. */
  readonly exactlyOnce: ReadonlyMap<string, HandlerDescriptor>;
}

/**
 * Splits the registry's topics between the two connections.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` when an exactly-once topic has another handler (a message
 *   handler, another event handler, or a RegExp handler matching its name).
 */
export function splitExactlyOnceRoutes(registry: HandlerSource): ExactlyOnceRoutes {
  const topics = registry.topics();
  const exactlyOnce = new Map<string, HandlerDescriptor>();
  for (const topic of topics.strings) {
    const handlers = registry.findEventHandlers(topic);
    const transactional = handlers.find((handler) => handler.options.exactlyOnce === true);
    if (!transactional) continue;
    const others = [
      ...handlers.filter((handler) => handler !== transactional),
      ...[registry.findMessageHandler(topic)].filter((handler) => handler !== undefined),
    ];
    if (others.length > 0) {
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        `topic ${topic} has the exactly-once handler ${describeHandler(transactional)} and also ${others.map(describeHandler).join(', ')}: an exactly-once topic is consumed by a group of its own and runs that one handler. Move the other handlers' work into it (return their records too), or give them another topic`,
        { path: describeHandler(transactional), topic },
      );
    }
    exactlyOnce.set(topic, transactional);
  }
  return {
    atLeastOnceTopics: {
      strings: topics.strings.filter((topic) => !exactlyOnce.has(topic)),
      patterns: topics.patterns,
    },
    exactlyOnce,
  };
}
