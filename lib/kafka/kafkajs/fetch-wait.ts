/**
 * How long an idle consumer's fetch waits at the broker, and so how long its disconnect takes.
 *
 * Why: kafkajs 2.2.4's disconnect stops its fetchers and waits until the fetch in flight returns
 * (consumer/runner.js stop → fetchManager.stop → each fetcher's `end`) before it leaves the group. On an
 * idle partition that fetch is the broker's long poll, which answers only after `maxWaitTimeInMs`; kafkajs
 * sleeps as long when this member has no partition on a broker (consumerGroup.js fetch). kafkajs defaults it
 * to 5000 ms, so an idle server, client or stream took up to 5 s to close. Kafka's own Java consumer waits
 * 500 ms (`fetch.max.wait.ms`); rxkafka does the same unless the application sets `maxWaitTimeInMs`. The
 * wait only applies while there is nothing to read: a record that arrives ends it at once.
 */
import type { ConsumerConfig } from 'kafkajs';

/** The fetch wait of rxkafka's consumers when the application sets none: the Java client's default. */
export const DEFAULT_FETCH_MAX_WAIT_MS = 500;

/** `config` with `maxWaitTimeInMs` defaulting to DEFAULT_FETCH_MAX_WAIT_MS; the application's value wins. */
export function withFetchMaxWait(config: ConsumerConfig): ConsumerConfig {
  return { ...config, maxWaitTimeInMs: config.maxWaitTimeInMs ?? DEFAULT_FETCH_MAX_WAIT_MS };
}
