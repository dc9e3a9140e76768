/**
 * What happens when a handler fails, decided in one place for both paths: how often it runs again
 * (`KafkaRetriableException`), how long it may stay silent (`handlerTimeoutMs`), where a record goes once it
 * failed for good (dead letters), and what the caller is told. Server-wide settings, overridden per handler
 * by `@MessagePattern(topic, { retry })` / `@EventPattern(topic, { retry, deadLetter })`.
 */
import { Observable, throwError, timeout } from 'rxjs';
import type { ProduceQueue } from '../connection/produce-queue';
import { RxKafkaError } from '../errors';
import type { HandlerDescriptor } from '../handlers/handler-registry';
import type { OutgoingRecord } from '../kafka/kafka-record';
import type { KafkaContext } from '../handlers/kafka-context';
import type { RetryPolicy } from '../handlers/retry-policy';
import { isRetriableException } from '../handlers/rpc-exception';
import type { Logger } from '../logger';
import type { KafkaTracing, RecordTrace } from '../tracing/kafka-tracing';
import type { RawKafkaRecord } from '../wire/parser';
import { createDeadLetter, toDeadLetterTopic } from './dead-letter';
import { toErrorPayload } from './error-payload';
import { describeHandler } from './handler-run';

export interface FailurePolicyOptions {
  readonly retry: RetryPolicy;
  /** The server-wide dead-letter topic of a source topic; false for none. */
  readonly deadLetter: false | ((topic: string) => string);
  /** How long a handler may stay silent (no value, no completion); 0 = forever. */
  readonly handlerTimeoutMs: number;
  readonly produceQueue: ProduceQueue;
  readonly logger: Logger;
  /** Present when an OpenTelemetry SDK is registered: dead letters are sent under a span. */
  readonly tracing?: KafkaTracing;
}

/** Where a record that failed for good goes, and why it failed. */
export interface Failure {
  readonly error: unknown;
  readonly attempts: number;
  readonly handler: string;
}

export class FailurePolicy {
  readonly #options: FailurePolicyOptions;
  #deadLetters = 0;

  constructor(options: FailurePolicyOptions) {
    this.#options = options;
  }

  /** Dead letters written so far. */
  get deadLetters(): number {
    return this.#deadLetters;
  }

  /** The handler's retry policy: its own fields over the server's. */
  retryOf(handler: HandlerDescriptor): RetryPolicy {
    const own = handler.options.retry;
    return own ? { ...this.#options.retry, ...own } : this.#options.retry;
  }

  /** The handler's dead-letter topic function, or false: its own setting over the server's. */
  deadLetterOf(handler: HandlerDescriptor): false | ((topic: string) => string) {
    const own = handler.options.deadLetter;
    if (own === undefined) return this.#options.deadLetter;
    if (own === false) return false;
    return own === true ? toDeadLetterTopic : () => own;
  }

  /** The server-wide dead-letter setting (records no handler saw: an undeserializable value). */
  get serverDeadLetter(): false | ((topic: string) => string) {
    return this.#options.deadLetter;
  }

  /**
   * The silence timeout, on an Observable: each value restarts it. A handler that never settles would
   * otherwise hold its partition (and, in kafkajs, every partition fetched with it).
   */
  withTimeout(
    result: Observable<unknown>,
    handler: HandlerDescriptor,
    context: KafkaContext,
  ): Observable<unknown> {
    const timeoutMs = this.#options.handlerTimeoutMs;
    if (timeoutMs <= 0) return result;
    return result.pipe(
      timeout({ each: timeoutMs, with: () => throwError(() => this.#timeoutError(handler, context)) }),
    );
  }

  /**
   * The same silence timeout on a Promise, under a plain timer: an async handler is the common case, and an
   * rxjs pipeline per record costs more than the work it guards.
   */
  withDeadline(
    pending: PromiseLike<unknown>,
    handler: HandlerDescriptor,
    context: KafkaContext,
  ): Promise<unknown> {
    const timeoutMs = this.#options.handlerTimeoutMs;
    if (timeoutMs <= 0) return Promise.resolve(pending);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.#timeoutError(handler, context)), timeoutMs);
      pending.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /**
   * Writes the dead letter; a failure to write it rejects, so the record is not committed and comes back
   * (nothing is lost, but the partition waits until the dead-letter topic accepts writes). Resolves to the
   * dead-letter topic written to, or undefined when there is none.
   */
  async deadLetter(
    record: RawKafkaRecord,
    failure: Failure,
    deadLetter: false | ((topic: string) => string),
    trace?: RecordTrace,
  ): Promise<string | undefined> {
    if (!deadLetter) return undefined;
    const topic = deadLetter(record.topic);
    await this.writeDeadLetter(topic, createDeadLetter(record, failure), record, trace);
    return topic;
  }

  /**
   * Writes a dead letter already made (a record that went through retry topics keeps its first failure's
   * place); rejects as deadLetter() does.
   */
  async writeDeadLetter(
    topic: string,
    letter: OutgoingRecord,
    record: RawKafkaRecord,
    trace?: RecordTrace,
  ): Promise<void> {
    try {
      await this.send(topic, [letter], trace);
    } catch (error) {
      this.#options.logger.error(
        `writing the dead letter to ${topic} failed: create the topic, or turn deadLetter off`,
        { topic: record.topic, partition: record.partition, offset: record.offset, error },
      );
      throw error;
    }
    this.#deadLetters += 1;
  }

  /**
   * Sends records a failure caused (dead letters, retry records) through the connection's produce queue, so
   * the record that caused them is finished, and its offset committed, only once Kafka acknowledged them.
   */
  send(topic: string, records: OutgoingRecord[], trace?: RecordTrace): Promise<void> {
    const { produceQueue, tracing } = this.#options;
    // The record copies its original's headers, traceparent included: it carries the context of the
    // processing that failed instead, so whoever reads it continues that trace.
    return tracing
      ? tracing.send(topic, records, (traced) => produceQueue.send(topic, traced), {
          parent: trace?.context,
          replaceContext: true,
        })
      : produceQueue.send(topic, records);
  }

  #timeoutError(handler: HandlerDescriptor, context: KafkaContext): RxKafkaError {
    return new RxKafkaError(
      'RXK_HANDLER_TIMEOUT',
      `${describeHandler(handler)} produced nothing for ${this.#options.handlerTimeoutMs} ms and was cut off`,
      { topic: context.getTopic(), partition: context.getPartition() },
    );
  }
}

/**
 * The payload a caller gets for a request that failed for good. A spent KafkaRetriableException reads as
 * RpcException(message) would (NestJS has no such case: it retries forever); a handler timeout is rxkafka's
 * own verdict, safe and useful to tell. Anything else is NestJS's error payload.
 */
export function toFinalErrorPayload(error: unknown): unknown {
  const isOwnVerdict =
    isRetriableException(error) ||
    (RxKafkaError.isRxKafkaError(error) && error.code === 'RXK_HANDLER_TIMEOUT');
  return isOwnVerdict && error instanceof Error
    ? { status: 'error', message: error.message }
    : toErrorPayload(error);
}
