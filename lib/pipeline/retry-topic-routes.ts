/**
 * Which consumers retry through topics, and which retry topic leads back to which of them and attempt: built
 * once, at `listen()` from the handlers' `retryTopics` (checked there, naming the handler), or at `consume()`
 * from the stream's.
 */
import { RxKafkaError } from '../errors';
import type { HandlerDescriptor } from '../handlers/handler-registry';
import type { HandlerSource } from '../handlers/handler-source';
import { resolveRetryTopics, type ResolvedRetryTopics } from '../handlers/retry-topics-options';
import { isRetriableException, isRpcExceptionLike } from '../handlers/rpc-exception';
import { toDeadLetterTopic } from './dead-letter';
import { describeHandler } from './handler-run';

/** One consumer's retries on one source topic: a handler's, or a `consume()` stream's. */
export interface RetrySchedule {
  readonly source: string;
  /** What retry records name in their handler header: `Controller.method`, or the stream's name. */
  readonly name: string;
  /** Where its `retryTopics` option was given, for errors: `Controller.method.retryTopics`, `retryTopics`. */
  readonly path: string;
  readonly delaysMs: readonly number[];
  /** The retry topic of each delay, in the same order. */
  readonly topics: readonly string[];
  /** The dead-letter topic, or false to only log a record that failed for good. */
  readonly deadLetter: false | string;
  readonly retryOn: (error: unknown) => boolean;
  readonly createTopics: boolean;
}

/** One handler's retries on one source topic. */
export interface RetryPlan extends RetrySchedule {
  readonly handler: HandlerDescriptor;
}

/** Where a retry topic leads: a plan and which of its delays the topic is. */
export interface RetryStage<P extends RetrySchedule = RetryPlan> {
  readonly plan: P;
  /** Index in `plan.delaysMs`; its records are due for attempt `index + 2`. */
  readonly index: number;
}

/**
 * An `RpcException` says the request itself is wrong (NestJS's meaning): retrying cannot help, unless it is
 * a `KafkaRetriableException`. Every other error is retried.
 */
export function isRetriedByDefault(error: unknown): boolean {
  return !isRpcExceptionLike(error) || isRetriableException(error);
}

/** A handler's retry policy under retry topics: each delivery is one run, the retries are its retry records. */
export const SINGLE_RUN = Object.freeze({ attempts: 1, backoffMs: 0, maxBackoffMs: 0 });

/**
 * The schedule of `name` on `source` from its checked options: the retry topic of each delay and the
 * dead-letter topic. `withoutDeadLetter` overrides the option's (a request is answered, never dead-lettered).
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming `path` when `topicOf` gives something that is no topic name.
 */
export function createRetrySchedule(
  source: string,
  name: string,
  options: ResolvedRetryTopics,
  path: string,
  withoutDeadLetter = false,
): RetrySchedule {
  const topics = options.delaysMs.map((delayMs) => options.topicOf(source, delayMs));
  const badName = topics.find((topic) => typeof topic !== 'string' || topic.length === 0);
  if (badName !== undefined) {
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      `${path}.topicOf gave ${JSON.stringify(badName)} for ${source}: it must return a topic name`,
      { path: `${path}.topicOf` },
    );
  }
  const deadLetter = withoutDeadLetter ? false : options.deadLetter;
  return Object.freeze({
    source,
    name,
    path,
    delaysMs: options.delaysMs,
    topics: Object.freeze(topics),
    deadLetter: deadLetter === true ? toDeadLetterTopic(source) : deadLetter,
    retryOn: options.retryOn ?? isRetriedByDefault,
    createTopics: options.createTopics,
  });
}

export class RetryTopicRoutes<P extends RetrySchedule = RetryPlan> {
  readonly #plans = new Map<string, P>();
  readonly #stages = new Map<string, RetryStage<P>[]>();

  /**
   * The routes of every handler with `retryTopics`.
   * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming the handler for bad `retryTopics` (see
   *   resolveRetryTopics), `retryTopics` on a message handler, or a retry topic that is also a source topic
   *   or belongs to another source topic.
   */
  static fromHandlers(registry: HandlerSource): RetryTopicRoutes {
    const routes = new RetryTopicRoutes();
    const sources = registry.topics().strings;
    for (const source of sources) {
      const request = registry.findMessageHandler(source);
      const handlers = request
        ? [request, ...registry.findEventHandlers(source)]
        : registry.findEventHandlers(source);
      for (const handler of handlers) {
        if (handler.options.retryTopics === undefined || handler.pattern !== source) continue;
        routes.#add(source, handler);
      }
    }
    routes.#checkTopics(sources);
    return routes;
  }

  /**
   * The routes of schedules made elsewhere (a `consume()` stream's, one per topic it reads).
   * @throws RxKafkaError `RXK_INVALID_OPTIONS` naming the schedule's path for a retry topic that is also one
   *   of `sources`, or that serves two of them.
   */
  static fromSchedules<P extends RetrySchedule>(
    schedules: readonly P[],
    sources: readonly string[],
  ): RetryTopicRoutes<P> {
    const routes = new RetryTopicRoutes<P>();
    for (const schedule of schedules) routes.#register(schedule);
    routes.#checkTopics(sources);
    return routes;
  }

  /** Every handler's plan. */
  get plans(): readonly P[] {
    return [...this.#plans.values()];
  }

  /** The retry topics, for the consumer's subscription. */
  get topics(): readonly string[] {
    return [...this.#stages.keys()];
  }

  /** The plan of `handler` on `source`, when it retries through topics. */
  planOf(source: string, handler: HandlerDescriptor): P | undefined {
    return this.planNamed(source, describeHandler(handler));
  }

  /** The plan `name` (a handler's `Controller.method`, a stream's name) has on `source`. */
  planNamed(source: string, name: string): P | undefined {
    return this.#plans.get(toPlanKey(source, name));
  }

  /** What a retry topic leads to (several handlers of one source may share it); undefined for other topics. */
  stagesOf(topic: string): readonly RetryStage<P>[] | undefined {
    return this.#stages.get(topic);
  }

  #add(this: RetryTopicRoutes<RetryPlan>, source: string, handler: HandlerDescriptor): void {
    const name = describeHandler(handler);
    const options = resolveRetryTopics(handler.options.retryTopics, name);
    // The decorators refuse these already; a NestJS handler's extras are first seen here.
    for (const own of ['retry', 'deadLetter'] as const) {
      if (handler.options[own] === undefined) continue;
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        `${name}: option ${own} cannot be combined with retryTopics, which retries through topics and has its own deadLetter: remove ${own}`,
        { path: `${name}.${own}` },
      );
    }
    const ownDeadLetter = handler.options.retryTopics?.deadLetter;
    if (handler.kind === 'message' && ownDeadLetter !== undefined && ownDeadLetter !== false) {
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        `${name}: a request whose retries are spent gets an error reply, not a dead letter: remove retryTopics.deadLetter`,
        { path: `${name}.retryTopics.deadLetter` },
      );
    }
    // A request's caller gets the error: its record is never dead-lettered.
    const schedule = createRetrySchedule(
      source,
      name,
      options,
      `${name}.retryTopics`,
      handler.kind === 'message',
    );
    this.#register(Object.freeze({ ...schedule, handler }));
  }

  #register(plan: P): void {
    this.#plans.set(toPlanKey(plan.source, plan.name), plan);
    plan.topics.forEach((topic, index) => {
      this.#stages.set(topic, [...(this.#stages.get(topic) ?? []), { plan, index }]);
    });
  }

  // A retry topic read as a source, or shared by two sources, would lead its records to the wrong place.
  #checkTopics(sources: readonly string[]): void {
    for (const [topic, stages] of this.#stages) {
      const owner = stages[0].plan;
      const other = stages.find(({ plan }) => plan.source !== owner.source)?.plan.source;
      const clash = sources.includes(topic)
        ? 'it is also a source topic'
        : other !== undefined
          ? `it serves both ${owner.source} and ${other}`
          : undefined;
      if (clash) {
        throw new RxKafkaError(
          'RXK_INVALID_OPTIONS',
          `${owner.name}: retry topic ${topic} cannot be used, ${clash}: give retryTopics.topicOf a name of its own per source topic`,
          { path: `${owner.path}.topicOf`, topic },
        );
      }
    }
  }
}

function toPlanKey(source: string, handler: string): string {
  return `${source}\u0000${handler}`;
}
