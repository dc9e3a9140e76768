/**
 * The dead-letter topics a server's handlers write to, as it knows them at `listen()`: what an operator may
 * re-drive through the inspector (a topic not among them is refused).
 */
import type { HandlerSource } from '../handlers/handler-source';
import { toDeadLetterTopic } from '../pipeline/dead-letter';
import type { RetrySchedule } from '../pipeline/retry-topic-routes';

/**
 * Per event handler of a topic name, its `deadLetter` (its own over the server's `serverDeadLetter`), and
 * each retry plan's dead-letter topic; each topic once, sorted. RegExp patterns name no topic, so none.
 */
export function listDeadLetterTopics(
  registry: HandlerSource,
  serverDeadLetter: false | ((topic: string) => string),
  plans: readonly RetrySchedule[],
): string[] {
  const topics = new Set<string>();
  for (const topic of registry.topics().strings) {
    for (const handler of registry.findEventHandlers(topic)) {
      // Retry topics send a handler's dead letters to its plan's topic, counted below.
      if (handler.options.retryTopics !== undefined) continue;
      const own = handler.options.deadLetter;
      if (typeof own === 'string') topics.add(own);
      else if (own === true) topics.add(toDeadLetterTopic(topic));
      else if (own === undefined && serverDeadLetter) topics.add(serverDeadLetter(topic));
    }
  }
  for (const plan of plans) if (plan.deadLetter !== false) topics.add(plan.deadLetter);
  return [...topics].sort();
}
