/**
 * Where a record goes when a handler with `retryTopics` failed on it: to the retry topic of its next delay,
 * or, once its delays are spent or its error is not retried, to the dead-letter topic. Either write goes
 * through the connection's produce queue and is awaited, so the record's own offset commits only once Kafka
 * acknowledged the copy: a crash in between redelivers it (at least once), and nothing is lost.
 */
import { publishRetryDeadLettered, publishRetryForwarded } from '../diagnostics/publish-diagnostics';
import { RxKafkaError } from '../errors';
import type { Logger } from '../logger';
import type { RecordTrace } from '../tracing/kafka-tracing';
import type { RawKafkaRecord } from '../wire/parser';
import type { Failure, FailurePolicy } from './failure-policy';
import { createRetriedDeadLetter, createRetryRecord } from './retry-headers';
import type { RetrySchedule } from './retry-topic-routes';

export interface RetryForwardingOptions {
  readonly failures: FailurePolicy;
  readonly logger: Logger;
  /** The clock retry due times are read from. @defaultValue Date.now */
  readonly now?: () => number;
}

/** Records forwarded to retry topics for one source topic and failed attempt. */
export interface RetryCount {
  /** The handler's own topic. */
  readonly topic: string;
  /** The attempt that failed (1 for the run on the source topic). */
  readonly attempt: number;
  readonly forwarded: number;
}

/** What became of a failed record. */
export type ForwardOutcome = 'retry' | 'dead-letter' | 'dropped';

export class RetryForwarding {
  readonly #options: RetryForwardingOptions;
  readonly #now: () => number;
  #forwarded = 0;
  readonly #counts = new Map<string, RetryCount>();

  constructor(options: RetryForwardingOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Records written to retry topics so far. */
  get forwarded(): number {
    return this.#forwarded;
  }

  /** Records written to retry topics so far, by source topic and failed attempt. */
  get counts(): readonly RetryCount[] {
    return [...this.#counts.values()];
  }

  /**
   * Forwards a record the plan's handler failed on after `failure.attempts` runs; resolves once the write is
   * acknowledged, rejects when it failed (the record must then be redelivered).
   */
  async forward(
    record: RawKafkaRecord,
    failure: Failure,
    plan: RetrySchedule,
    trace?: RecordTrace,
  ): Promise<ForwardOutcome> {
    const stage = failure.attempts - 1;
    if (stage >= plan.delaysMs.length || !this.#retries(plan, failure.error)) {
      return this.deadLetter(record, failure, plan, trace);
    }
    const topic = plan.topics[stage];
    const nowMs = this.#now();
    const dueAtMs = nowMs + plan.delaysMs[stage];
    const retry = createRetryRecord(record, { ...failure, nowMs, dueAtMs });
    try {
      await this.#options.failures.send(topic, [retry], trace);
    } catch (error) {
      this.#options.logger.error(
        `forwarding a record to the retry topic ${topic} failed: it is handled again from its source; create the topic or set retryTopics.createTopics`,
        { topic: record.topic, partition: record.partition, offset: record.offset, error },
      );
      throw error;
    }
    this.#count(plan.source, failure.attempts);
    publishRetryForwarded(() => ({
      ...toRetriedRecord(record, failure, plan),
      attempt: failure.attempts,
      retryTopic: topic,
      dueAt: dueAtMs,
    }));
    return 'retry';
  }

  /** Writes the record to the plan's dead-letter topic, or only logs it without one. */
  async deadLetter(
    record: RawKafkaRecord,
    failure: Failure,
    plan: RetrySchedule,
    trace?: RecordTrace,
  ): Promise<ForwardOutcome> {
    const deadLetterTopic = plan.deadLetter;
    if (deadLetterTopic === false) return 'dropped';
    const letter = createRetriedDeadLetter(record, failure);
    await this.#options.failures.writeDeadLetter(deadLetterTopic, letter, record, trace);
    publishRetryDeadLettered(() => ({
      ...toRetriedRecord(record, failure, plan),
      attempts: failure.attempts,
      deadLetterTopic,
    }));
    return 'dead-letter';
  }

  /** A record on a retry topic that cannot be retried (`reason`): straight to the dead-letter topic. */
  async reject(
    record: RawKafkaRecord,
    plan: RetrySchedule,
    reason: string,
    trace?: RecordTrace,
  ): Promise<void> {
    const error = new RxKafkaError('RXK_RETRY_RECORD_INVALID', reason, {
      topic: record.topic,
      partition: record.partition,
    });
    this.#options.logger.error(`${reason}; the record goes to the dead-letter topic`, {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
    });
    await this.deadLetter(record, { error, attempts: 0, handler: plan.name }, plan, trace);
  }

  #count(topic: string, attempt: number): void {
    this.#forwarded += 1;
    const key = `${attempt}:${topic}`;
    const count = this.#counts.get(key);
    this.#counts.set(key, { topic, attempt, forwarded: (count?.forwarded ?? 0) + 1 });
  }

  // A predicate that throws must not lose the record: it counts as "do not retry", and is logged.
  #retries(plan: RetrySchedule, error: unknown): boolean {
    try {
      return plan.retryOn(error) === true;
    } catch (predicateError) {
      this.#options.logger.error(`${plan.name}.retryTopics.retryOn threw; the record is not retried`, {
        error: predicateError,
      });
      return false;
    }
  }
}

function toRetriedRecord(record: RawKafkaRecord, failure: Failure, plan: RetrySchedule) {
  return {
    handler: plan.name,
    source: plan.source,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    error: failure.error,
  };
}
