/**
 * A `consume()` stream's retry topics at run time: which fetched records of its retry topics may be emitted
 * (due, and for this stream), where a record the subscriber gave up on goes (`record.retry()`, through the
 * pipeline's RetryForwarding and the member's produce queue), and the pauses of retry partitions waiting for
 * their next record's due time. The same topics, headers and pauses as a server's `retryTopics` handler.
 */
import type { ProduceQueue } from '../connection/produce-queue';
import { RxKafkaError } from '../errors';
import type { KafkaDriver } from '../kafka/kafka-driver';
import type { Logger } from '../logger';
import type { DriverOption } from '../options/create-driver';
import { DeadLetterHeaders } from '../pipeline/dead-letter';
import { ensureRetryTopics } from '../pipeline/ensure-retry-topics';
import { FailurePolicy } from '../pipeline/failure-policy';
import {
  LogThrottle,
  logThrottled,
  RECORD_LOG_BURST,
  RECORD_LOG_INTERVAL_MS,
} from '../pipeline/log-throttle';
import { PartitionPauses } from '../pipeline/partition-pauses';
import { RetryForwarding, type ForwardOutcome } from '../pipeline/retry-forwarding';
import { readAttempt, readDueAt, readHeader, RetryHeaders } from '../pipeline/retry-headers';
import {
  SINGLE_RUN,
  type RetrySchedule,
  type RetryStage,
  type RetryTopicRoutes,
} from '../pipeline/retry-topic-routes';
import type { KafkaTracing, RecordTrace } from '../tracing/kafka-tracing';
import type { RawKafkaRecord } from '../wire/parser';

/** What a fetched record is to the stream. */
export type RetryAdmission =
  /** Emit it: a source topic's record (attempt 1), or a retry topic's that is due. */
  | { readonly kind: 'emit'; readonly attempt: number }
  /** A retry record not due yet: the batch stops before it, its partition paused until then. */
  | { readonly kind: 'later'; readonly dueAtMs: number }
  /** A retry record another consumer wrote to a retry topic it shares with this stream: not this one's. */
  | { readonly kind: 'skip' }
  /** A retry record that cannot be placed in the schedule: straight to the dead-letter topic. */
  | { readonly kind: 'reject'; readonly reason: string; readonly schedule: RetrySchedule };

export interface StreamRetriesOptions {
  readonly routes: RetryTopicRoutes<RetrySchedule>;
  readonly produceQueue: ProduceQueue;
  readonly pause: (topic: string, partition: number) => void;
  readonly resume: (topic: string, partition: number) => void;
  readonly logger: Logger;
  readonly tracing?: KafkaTracing;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

export class StreamRetries {
  readonly #options: StreamRetriesOptions;
  readonly #forwarding: RetryForwarding;
  readonly #pauses: PartitionPauses;
  readonly #now: () => number;
  readonly #log: LogThrottle;

  constructor(options: StreamRetriesOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#log = new LogThrottle(RECORD_LOG_INTERVAL_MS, this.#now, RECORD_LOG_BURST);
    const failures = new FailurePolicy({
      // Only its sends are used: the subscriber runs the record, and retry topics are its retries.
      retry: SINGLE_RUN,
      deadLetter: false,
      handlerTimeoutMs: 0,
      produceQueue: options.produceQueue,
      logger: options.logger,
      ...(options.tracing ? { tracing: options.tracing } : {}),
    });
    this.#forwarding = new RetryForwarding({ failures, logger: options.logger, now: this.#now });
    this.#pauses = new PartitionPauses({
      pause: options.pause,
      resume: options.resume,
      logger: options.logger,
      now: this.#now,
    });
  }

  /**
   * Before the member joins: the driver can pause partitions, and the retry and dead-letter topics exist
   * (created with `createTopics`).
   * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming the driver when it cannot pause partitions;
   *   `RXK_TOPIC_NOT_FOUND` naming a missing retry or dead-letter topic.
   */
  async prepare(driver: KafkaDriver, driverOption: DriverOption | undefined): Promise<void> {
    if (driver.capabilities?.pausesPartitions !== true) {
      const name =
        typeof driverOption === 'string' ? `driver '${driverOption}'` : 'the KafkaDriver given as driver';
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        `option retryTopics needs a driver that can pause partitions (a retry waits for its due time that way), which ${name} cannot: use driver 'kafkajs', or retry in the subscriber`,
        { path: 'driver' },
      );
    }
    await ensureRetryTopics(driver, this.#options.routes.plans, this.#options.logger);
  }

  /** What `record` (fetched from one of the stream's topics) is to the stream. */
  admit(record: RawKafkaRecord): RetryAdmission {
    const stages = this.#options.routes.stagesOf(record.topic);
    if (stages === undefined) return { kind: 'emit', attempt: 1 };
    // One schedule per source topic, and a retry topic serves one source: one stage.
    const stage: RetryStage<RetrySchedule> = stages[0];
    const name = readHeader(record.headers, DeadLetterHeaders.HANDLER);
    if (name !== undefined && name !== stage.plan.name) {
      this.#warn(
        `foreign:${record.topic}`,
        `a record on the retry topic ${record.topic} is for ${name}, not ${stage.plan.name}: skipped; give retryTopics.topicOf names of this stream's own`,
        record,
      );
      return { kind: 'skip' };
    }
    const dueAtMs = readDueAt(record.headers);
    if (dueAtMs === undefined) {
      // Holding it could only hold it forever.
      this.#warn(
        `retry-due:${record.topic}`,
        `a record on the retry topic ${record.topic} has no valid due time; it is emitted at once`,
        record,
      );
    } else if (dueAtMs > this.#now()) {
      return { kind: 'later', dueAtMs };
    }
    const attempt = readAttempt(record.headers);
    if (attempt !== stage.index + 2) {
      return {
        kind: 'reject',
        schedule: stage.plan,
        reason: `a record on the retry topic ${record.topic} is due for attempt ${String(readHeader(record.headers, RetryHeaders.ATTEMPT))}, not the ${stage.index + 2} this topic is for`,
      };
    }
    return { kind: 'emit', attempt };
  }

  /** Writes a record that cannot be retried to the dead-letter topic, with the reason; resolves once acknowledged. */
  reject(
    record: RawKafkaRecord,
    admission: RetryAdmission & { kind: 'reject' },
    trace?: RecordTrace,
  ): Promise<void> {
    return this.#forwarding.reject(record, admission.schedule, admission.reason, trace);
  }

  /**
   * Forwards a record whose run `attempt` failed with `error` to its next retry topic, or the dead-letter
   * topic; resolves once Kafka acknowledged the write, rejects when it failed.
   */
  forward(
    record: RawKafkaRecord,
    attempt: number,
    error: unknown,
    trace?: RecordTrace,
  ): Promise<ForwardOutcome> {
    const { routes } = this.#options;
    // The stream's schedules all carry its one name; a retry topic leads back to its source's.
    const { name } = routes.plans[0];
    const source = routes.stagesOf(record.topic)?.[0].plan.source ?? record.topic;
    const schedule = routes.planNamed(source, name) as RetrySchedule;
    return this.#forwarding.forward(record, { error, attempts: attempt, handler: name }, schedule, trace);
  }

  /** Stops fetching a retry partition until its next record is due. */
  pauseUntil(topic: string, partition: number, dueAtMs: number): void {
    this.#pauses.pauseUntil(topic, partition, dueAtMs);
  }

  /** Forgets the resume timers: the member stopped, and the next one starts unpaused. */
  clear(): void {
    this.#pauses.clear();
  }

  #warn(key: string, text: string, record: RawKafkaRecord): void {
    logThrottled(this.#log, key, this.#options.logger, 'warn', text, {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
    });
  }
}
