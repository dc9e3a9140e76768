/**
 * A `consume()` stream's `retryTopics` option: the same option, checks and topic names as an
 * `@EventPattern` handler's, one schedule per topic the stream reads.
 */
import { RxKafkaError } from '../errors';
import { resolveRetryTopicsAt } from '../handlers/retry-topics-options';
import { createRetrySchedule, RetryTopicRoutes, type RetrySchedule } from '../pipeline/retry-topic-routes';

/** The name a stream's retry records carry in their handler header, and its errors and logs show. */
export function toStreamRetryName(groupId: string): string {
  return `consume:${groupId}`;
}

/**
 * The stream's retry routes: each of `topics` with its retry topics and dead-letter topic.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming `retryTopics` (or its field) for bad values, a RegExp
 *   among `topics`, or a retry topic that is also one of `topics` or serves two of them.
 */
export function resolveStreamRetryTopics(
  option: unknown,
  topics: ReadonlyArray<string | RegExp>,
  groupId: string,
): RetryTopicRoutes<RetrySchedule> {
  const path = 'retryTopics';
  const options = resolveRetryTopicsAt(option, path);
  const names = topics.filter((topic): topic is string => typeof topic === 'string');
  if (names.length !== topics.length) {
    // A pattern would also match the retry topics it makes, and its future topics would have none.
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      'option retryTopics needs topic names: a RegExp in topics could match the retry topics themselves; list the topics by name',
      { path },
    );
  }
  const name = toStreamRetryName(groupId);
  const schedules = names.map((topic) => createRetrySchedule(topic, name, options, path));
  return RetryTopicRoutes.fromSchedules(schedules, names);
}
