/**
 * rxkafka with its event handler's retries configured (issue 26): through a retry topic, or in place with
 * the same wait. In (a) nothing fails, so `rxkafka-retry-topics` measures what configuring retry topics
 * costs the records that never need them; in (r) one event in a hundred fails once, and the two show what a
 * retry costs the healthy events around it.
 */
import type { Implementation } from './implementation';
import { RETRY_DELAY_MS } from './retry-delay';
import { createRxkafkaImplementation } from './rxkafka';

/** One retry topic of `RETRY_DELAY_MS`, created at `listen()`; the dead-letter topic after it. */
export function rxkafkaWithRetryTopics(): Implementation {
  return createRxkafkaImplementation({
    retry: {
      handlerOptions: { retryTopics: { delaysMs: [RETRY_DELAY_MS], createTopics: true } },
      retriableErrors: false,
    },
  });
}

/** Two runs in place, `RETRY_DELAY_MS` apart: the record's partition (with `ordering: 'key'`, its key) waits. */
export function rxkafkaWithInPlaceRetry(): Implementation {
  return createRxkafkaImplementation({
    retry: { handlerOptions: { retry: { attempts: 2, backoffMs: RETRY_DELAY_MS } }, retriableErrors: true },
  });
}
