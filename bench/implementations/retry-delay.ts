/**
 * The retry settings both retrying implementations share, and the topics the retry-topics one creates: a
 * module of its own, without the rxkafka server, since the parent needs the topic names to delete them.
 */
import { toRetryTopic } from '../../lib/handlers/retry-topics-options';

/** The one retry delay of both: a failed record runs again after about a second. */
export const RETRY_DELAY_MS = 1_000;

/** The topics `rxkafka-retry-topics` creates beside `topic` at `listen()`: its retry and dead-letter topics. */
export function toRetryTopicsOf(topic: string): string[] {
  return [toRetryTopic(topic, RETRY_DELAY_MS), `${topic}.dlt`];
}
