/**
 * An event's way through its handlers (NestJS `ServerKafka.handleEvent`): every handler of the topic runs,
 * each with its retries and silence timeout; one that fails for good is logged and dead-lettered when so
 * configured, and the record still counts as handled, so a failed event never stalls its partition.
 */
import { defaultIfEmpty, isObservable, lastValueFrom, map } from 'rxjs';
import {
  publishDeadLetterSent,
  publishHandlerEnd,
  publishHandlerError,
  handlerRetryObserver,
  publishHandlerStart,
} from '../diagnostics/publish-diagnostics';
import type { HandlerDescriptor } from '../handlers/handler-registry';
import type { KafkaContext } from '../handlers/kafka-context';
import { isRetriableException } from '../handlers/rpc-exception';
import type { Logger } from '../logger';
import type { RecordTrace } from '../tracing/kafka-tracing';
import type { RawKafkaRecord } from '../wire/parser';
import type { FailurePolicy } from './failure-policy';
import { describeHandler, invokeOrReplay, locate, type FirstRun } from './handler-run';
import { LogThrottle, logThrottled, RECORD_LOG_BURST, RECORD_LOG_INTERVAL_MS } from './log-throttle';
import type { RetryForwarding } from './retry-forwarding';
import { SINGLE_RUN, type RetryPlan, type RetryTopicRoutes } from './retry-topic-routes';
import { runWithRetries } from './run-with-retries';
import type { RunsInFlight } from './runs-in-flight';
import { isPromiseLike } from './to-observable';

/** A run of a handler on a record from one of its retry topics. */
export interface RetryRun {
  readonly plan: RetryPlan;
  /** The attempt the record is due for (2 on the first retry topic). */
  readonly attempt: number;
}

export interface EventPathOptions {
  /** The interval of the throttled lines about records that fail alike (0: a line each). @defaultValue RECORD_LOG_INTERVAL_MS */
  readonly recordLogIntervalMs?: number;
  readonly failures: FailurePolicy;
  readonly logger: Logger;
  /** Handlers with `retryTopics`, and where their failed records go. */
  readonly retryTopics?: { readonly routes: RetryTopicRoutes; readonly forwarding: RetryForwarding };
  /** Where slow runs are noted while they run, so an operator can skip their record (see skip-record.ts). */
  readonly inFlight?: RunsInFlight;
}

export class EventPath {
  readonly #options: EventPathOptions;
  /** One line per interval for events that fail alike (see RECORD_LOG_INTERVAL_MS). */
  readonly #recordLog: LogThrottle;
  #failed = 0;

  constructor(options: EventPathOptions) {
    this.#options = options;
    this.#recordLog = new LogThrottle(
      options.recordLogIntervalMs ?? RECORD_LOG_INTERVAL_MS,
      Date.now,
      RECORD_LOG_BURST,
    );
  }

  /** Event handler runs that failed for good (after their retries) so far. */
  get failed(): number {
    return this.#failed;
  }

  /**
   * Runs a record's event handlers. Returns nothing (synchronously) when there is one handler and it
   * returned a plain value, the common case; a Promise otherwise. `trace` is the record's processing, when
   * traced: a failure marks it, and a dead letter is sent under it.
   */
  handle(
    handlers: readonly HandlerDescriptor[],
    data: unknown,
    context: KafkaContext,
    record: RawKafkaRecord,
    trace?: RecordTrace,
  ): void | Promise<void> {
    if (handlers.length === 1) {
      const [handler] = handlers;
      let first: FirstRun;
      publishHandlerStart('event', handler, context);
      try {
        const result = handler.invoke(data, context);
        if (!isObservable(result) && !isPromiseLike(result))
          return publishHandlerEnd('event', handler, context);
        first = { result };
      } catch (error) {
        first = { error };
      }
      return this.#run(handler, data, context, record, first, trace);
    }
    // Several handlers of one event all run, concurrently, as NestJS's forkJoin does; each retries alone.
    return Promise.all(
      handlers.map((handler) => this.#run(handler, data, context, record, undefined, trace)),
    ).then(() => undefined);
  }

  /** Runs the one handler a retry record is for, once; a failure goes on to its next retry topic. */
  retry(
    run: RetryRun,
    data: unknown,
    context: KafkaContext,
    record: RawKafkaRecord,
    trace?: RecordTrace,
  ): Promise<void> {
    return this.#run(run.plan.handler, data, context, record, undefined, trace, run);
  }

  /** One handler with its retries, timeout and failure handling; `first` is a first run already made. */
  async #run(
    handler: HandlerDescriptor,
    data: unknown,
    context: KafkaContext,
    record: RawKafkaRecord,
    first?: FirstRun,
    trace?: RecordTrace,
    retried?: RetryRun,
  ): Promise<void> {
    const { failures, logger } = this.#options;
    if (first === undefined) publishHandlerStart('event', handler, context);
    const plan = retried?.plan ?? this.#options.retryTopics?.routes.planOf(record.topic, handler);
    // With retry topics each delivery is one run: the retries are the retry topics' records.
    const retry = plan ? SINGLE_RUN : failures.retryOf(handler);
    let attempts = 0;
    // A skipped run is over: its handler's later outcome is ignored, and it never runs again.
    let skipped = false;
    let cutOff!: () => void;
    const skip = new Promise<'skipped'>((resolve) => {
      cutOff = () => {
        skipped = true;
        resolve('skipped');
      };
    });
    const deadLetter = plan ? plan.deadLetter : failures.deadLetterOf(handler);
    const leave = this.#options.inFlight?.add(record, 'event', {
      handler,
      deadLetterTopic: typeof deadLetter === 'function' ? deadLetter(record.topic) : deadLetter || undefined,
      cutOff,
    });
    try {
      const run = runWithRetries(
        async (attempt) => {
          if (skipped) return;
          attempts = retried?.attempt ?? attempt;
          const result = invokeOrReplay(handler, data, context, attempt === 1 ? first : undefined);
          await this.#settle(result, handler, context);
        },
        retry,
        (error) => !skipped && isRetriableException(error),
        handlerRetryObserver('event', handler, context, retry.attempts),
      );
      if ((await Promise.race([run, skip])) === 'skipped') {
        publishHandlerEnd('event', handler, context);
        return;
      }
    } catch (error) {
      if (skipped) return publishHandlerEnd('event', handler, context);
      trace?.recordError(error);
      publishHandlerError('event', handler, context, error);
      const forwarding = this.#options.retryTopics?.forwarding;
      if (plan && forwarding) {
        const failure = { error, attempts, handler: describeHandler(handler) };
        if ((await forwarding.forward(record, failure, plan, trace)) === 'retry') {
          publishHandlerEnd('event', handler, context);
          return;
        }
      }
      this.#failed += 1;
      // Unlike NestJS (issues #10091, #10972), a failed event never stalls its partition: it is logged,
      // dead-lettered when configured, and committed.
      logThrottled(
        this.#recordLog,
        `failed:${describeHandler(handler)}`,
        logger,
        'error',
        `${describeHandler(handler)} failed after ${attempts} attempt(s); the event is skipped`,
        { ...locate(context.getMessage()), error },
      );
      if (!plan) {
        const deadLetterTopic = await failures.deadLetter(
          record,
          { error, attempts, handler: describeHandler(handler) },
          failures.deadLetterOf(handler),
          trace,
        );
        if (deadLetterTopic !== undefined) publishDeadLetterSent('event', handler, context, deadLetterTopic);
      }
    } finally {
      leave?.();
    }
    publishHandlerEnd('event', handler, context);
  }

  /**
   * Waits for what a handler returned: nothing for a plain value; a Promise under the deadline; an
   * Observable (or a Promise of one) until it completes, under the same silence timeout.
   */
  async #settle(result: unknown, handler: HandlerDescriptor, context: KafkaContext): Promise<void> {
    const { failures } = this.#options;
    let settled = result;
    if (isPromiseLike(settled) && !isObservable(settled)) {
      settled = await failures.withDeadline(settled, handler, context);
    }
    if (!isObservable(settled)) return;
    await lastValueFrom(
      failures.withTimeout(settled, handler, context).pipe(
        map(() => undefined),
        defaultIfEmpty(undefined),
      ),
    );
  }
}
