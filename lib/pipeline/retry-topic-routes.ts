/**
 * Which handlers retry through topics, and which retry topic leads back to which handler and attempt: built
 * once at `listen()` from the handlers' `retryTopics` (checked there, naming the handler).
 */
import { RxKafkaError } from '../errors';
import type { HandlerDescriptor } from '../handlers/handler-registry';
import type { HandlerSource } from '../handlers/handler-source';
import { resolveRetryTopics } from '../handlers/retry-topics-options';
import { isRetriableException, isRpcExceptionLike } from '../handlers/rpc-exception';
import { toDeadLetterTopic } from './dead-letter';
import { describeHandler } from './handler-run';

/** One handler's retries on one source topic. */
export interface RetryPlan {
  readonly source: string;
  readonly handler: HandlerDescriptor;
  /** `Controller.method`: what retry records name in their handler header. */
  readonly name: string;
  readonly delaysMs: readonly number[];
  /** The retry topic of each delay, in the same order. */
  readonly topics: readonly string[];
  /** The dead-letter topic, or false to only log a record that failed for good. */
  readonly deadLetter: false | string;
  readonly retryOn: (error: unknown) => boolean;
  readonly createTopics: boolean;
}

/** Where a retry topic leads: a plan and which of its delays the topic is. */
export interface RetryStage {
  readonly plan: RetryPlan;
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

export class RetryTopicRoutes {
  readonly #plans = new Map<string, RetryPlan>();
  readonly #stages = new Map<string, RetryStage[]>();

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
    for (const [topic, stages] of routes.#stages) {
      const owner = stages[0].plan;
      const other = stages.find(({ plan }) => plan.source !== owner.source)?.plan.source;
      const clash = sources.includes(topic)
        ? 'it is also a topic handlers read'
        : other !== undefined
          ? `it serves both ${owner.source} and ${other}`
          : undefined;
      if (clash) {
        throw new RxKafkaError(
          'RXK_INVALID_OPTIONS',
          `${owner.name}: retry topic ${topic} cannot be used, ${clash}: give retryTopics.topicOf a name of its own per source topic`,
          { path: `${owner.name}.retryTopics.topicOf`, topic },
        );
      }
    }
    return routes;
  }

  /** Every handler's plan. */
  get plans(): readonly RetryPlan[] {
    return [...this.#plans.values()];
  }

  /** The retry topics, for the consumer's subscription. */
  get topics(): readonly string[] {
    return [...this.#stages.keys()];
  }

  /** The plan of `handler` on `source`, when it retries through topics. */
  planOf(source: string, handler: HandlerDescriptor): RetryPlan | undefined {
    return this.#plans.get(toPlanKey(source, describeHandler(handler)));
  }

  /** What a retry topic leads to (several handlers of one source may share it); undefined for other topics. */
  stagesOf(topic: string): readonly RetryStage[] | undefined {
    return this.#stages.get(topic);
  }

  #add(source: string, handler: HandlerDescriptor): void {
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
    const topics = options.delaysMs.map((delayMs) => options.topicOf(source, delayMs));
    const badName = topics.find((topic) => typeof topic !== 'string' || topic.length === 0);
    if (badName !== undefined) {
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        `${name}.retryTopics.topicOf gave ${JSON.stringify(badName)} for ${source}: it must return a topic name`,
        { path: `${name}.retryTopics.topicOf` },
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
    const plan: RetryPlan = Object.freeze({
      source,
      handler,
      name,
      delaysMs: options.delaysMs,
      topics: Object.freeze(topics),
      // A request's caller gets the error: its record is never dead-lettered.
      deadLetter:
        handler.kind === 'message' || options.deadLetter === false
          ? false
          : options.deadLetter === true
            ? toDeadLetterTopic(source)
            : options.deadLetter,
      retryOn: options.retryOn ?? isRetriedByDefault,
      createTopics: options.createTopics,
    });
    this.#plans.set(toPlanKey(source, name), plan);
    topics.forEach((topic, index) => {
      this.#stages.set(topic, [...(this.#stages.get(topic) ?? []), { plan, index }]);
    });
  }
}

function toPlanKey(source: string, handler: string): string {
  return `${source}\u0000${handler}`;
}
