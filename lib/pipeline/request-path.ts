/**
 * A request's way from its handler to its acknowledged replies (NestJS `ServerKafka.handleMessage` with
 * `sendMessage`): run the handler, turn what it returns (a value, a Promise, an Observable) into reply
 * records, produce them in order, and settle once Kafka acknowledged them, so the offset may be committed.
 */
import { concatMap, from, isObservable, lastValueFrom, map, type Observable } from 'rxjs';
import type { ProduceQueue } from '../connection/produce-queue';
import {
  publishHandlerEnd,
  publishHandlerError,
  publishHandlerRetry,
  publishHandlerStart,
  publishReplyProduced,
} from '../diagnostics/publish-diagnostics';
import { RxKafkaError } from '../errors';
import type { HandlerDescriptor } from '../handlers/handler-registry';
import type { KafkaContext } from '../handlers/kafka-context';
import { isRetriableException } from '../handlers/rpc-exception';
import type { OutgoingRecord } from '../kafka/kafka-record';
import type { Logger } from '../logger';
import { NO_MESSAGE_HANDLER } from '../wire/kafka-headers';
import type { IncomingMessage } from '../wire/parser';
import { encodeReply } from '../wire/reply-encoder';
import { toReplyMeta, type ReplyRoute } from '../wire/reply-route';
import type { Serializer } from '../wire/serializer';
import type { KafkaTracing, RecordTrace, SendSpan } from '../tracing/kafka-tracing';
import type { HandledRecord } from './batch-runner-options';
import { DecidedErrorPayload, isDecidedErrorReply } from './error-payload';
import { toFinalErrorPayload, type FailurePolicy } from './failure-policy';
import { describeHandler, invokeOrReplay, locate, type FirstRun } from './handler-run';
import {
  LogThrottle,
  logThrottled,
  RECORD_LOG_BURST,
  RECORD_LOG_INTERVAL_MS,
  REFUSED_TOPIC_LOG_INTERVAL_MS,
} from './log-throttle';
import { toReplyPackets, type ServerReply } from './reply-packets';
import type { RetryRun } from './event-path';
import type { RetryForwarding } from './retry-forwarding';
import { SINGLE_RUN, type RetryTopicRoutes } from './retry-topic-routes';
import { runWithRetries } from './run-with-retries';
import type { RawKafkaRecord } from '../wire/parser';
import { isPromiseLike, toObservable } from './to-observable';

export interface RequestPathOptions {
  /** The interval of the throttled lines about records that fail alike (0: a line each). @defaultValue RECORD_LOG_INTERVAL_MS */
  readonly recordLogIntervalMs?: number;
  readonly serializer: Serializer;
  readonly produceQueue: ProduceQueue;
  /**
   * A reply to a topic that has not taken a write yet is given up after this long (see ProduceQueue's
   * `unprovenTimeoutMs`), so an unknown `kafka_replyTopic` costs a bounded wait, not kafkajs's retries.
   */
  readonly replyTimeoutMs?: number;
  readonly failures: FailurePolicy;
  readonly logger: Logger;
  /** Present when an OpenTelemetry SDK is registered: each reply is sent under a span of its own. */
  readonly tracing?: KafkaTracing;
  /** Handlers with `retryTopics`, and where their failed requests go. */
  readonly retryTopics?: { readonly routes: RetryTopicRoutes; readonly forwarding: RetryForwarding };
}

/**
 * A request whose handler may retry through topics: its record (what is forwarded) and, on a retry topic,
 * the run it is due for.
 */
export interface RequestRetry {
  readonly record: RawKafkaRecord;
  readonly run?: RetryRun;
}

export class RequestPath {
  readonly #options: RequestPathOptions;
  #repliesSent = 0;
  #errorReplies = 0;
  readonly #refusedTopicLog = new LogThrottle(REFUSED_TOPIC_LOG_INTERVAL_MS);
  /** One line per interval for requests that fail alike (see RECORD_LOG_INTERVAL_MS). */
  readonly #recordLog: LogThrottle;

  constructor(options: RequestPathOptions) {
    this.#options = options;
    this.#recordLog = new LogThrottle(
      options.recordLogIntervalMs ?? RECORD_LOG_INTERVAL_MS,
      Date.now,
      RECORD_LOG_BURST,
    );
  }

  /** Reply records produced so far. */
  get repliesSent(): number {
    return this.#repliesSent;
  }

  /** Requests whose handler failed, answered with an error reply, so far. */
  get errorReplies(): number {
    return this.#errorReplies;
  }

  /**
   * Runs `handler` for a request and produces its replies. The common cases first: a handler that returns a
   * plain value, or a Promise of one (an async handler; every NestJS handler), has one reply, sent once
   * the value is there, with no stream built around it. Anything else (a stream, a throw, a rejection)
   * takes the general path, which starts from this first run rather than running the handler again.
   * `trace` is the record's processing, when traced: the parent of its replies' send spans.
   */
  handle(
    handler: HandlerDescriptor,
    data: unknown,
    context: KafkaContext,
    route: ReplyRoute,
    trace?: RecordTrace,
    retry?: RequestRetry,
  ): HandledRecord | Promise<HandledRecord> {
    let first: FirstRun;
    publishHandlerStart('request', handler, context, route.correlationId);
    try {
      const result = handler.invoke(data, context);
      if (isPromiseLike(result) && !isObservable(result)) {
        return this.#handlePromise(result, handler, data, context, route, trace, retry);
      }
      if (!isObservable(result)) {
        const handled = this.#replyWithValue(result, handler, context, route, trace);
        if (handled) return handled;
      }
      first = { result };
    } catch (error) {
      first = { error };
    }
    return this.#handleInFull(handler, data, context, route, first, trace, retry);
  }

  /** A Promise's value under the handler deadline; a plain value is replied at once, anything else goes in full. */
  async #handlePromise(
    pending: PromiseLike<unknown>,
    handler: HandlerDescriptor,
    data: unknown,
    context: KafkaContext,
    route: ReplyRoute,
    trace: RecordTrace | undefined,
    retry: RequestRetry | undefined,
  ): Promise<HandledRecord> {
    let first: FirstRun;
    try {
      const value = await this.#options.failures.withDeadline(pending, handler, context);
      if (!isObservable(value)) {
        const handled = this.#replyWithValue(value, handler, context, route, trace);
        if (handled) return handled;
      }
      first = { result: value };
    } catch (error) {
      first = { error };
    }
    return this.#handleInFull(handler, data, context, route, first, trace, retry);
  }

  /** Answers a request no handler takes, as NestJS does: the plain-text error, no is-disposed header. */
  replyNoHandler(route: ReplyRoute, message: IncomingMessage, trace?: RecordTrace): HandledRecord {
    const reply = encodeReply(undefined, {
      correlationId: route.correlationId,
      replyPartition: route.replyPartition,
      err: NO_MESSAGE_HANDLER,
      isDisposed: false,
    });
    trace?.recordError(NO_MESSAGE_HANDLER, 'no_handler');
    return toHandledRecord(this.#settleReplies([this.#send(route, [reply], trace)], route, message));
  }

  /**
   * Sends `value` as the request's one and final reply. Undefined when the serializer throws: the general
   * path then serializes again and answers with the error, as for any handler.
   */
  #replyWithValue(
    value: unknown,
    handler: HandlerDescriptor,
    context: KafkaContext,
    route: ReplyRoute,
    trace: RecordTrace | undefined,
  ): HandledRecord | undefined {
    let serialized: ReturnType<Serializer['serialize']>;
    try {
      serialized = this.#options.serializer.serialize(value);
    } catch {
      return undefined;
    }
    publishHandlerEnd('request', handler, context, route.correlationId);
    const meta = toReplyMeta(route, true);
    const sent = isPromiseLike(serialized)
      ? Promise.resolve(serialized).then(
          (resolved) => this.#send(route, [encodeReply(resolved, meta)], trace),
          (error: unknown) => {
            this.#errorReplies += 1;
            trace?.recordError(error);
            logThrottled(
              this.#recordLog,
              `failed:${describeHandler(handler)}`,
              this.#options.logger,
              'error',
              `${describeHandler(handler)} failed`,
              { ...locate(context.getMessage()), error },
            );
            return this.#send(
              route,
              [encodeReply(undefined, toReplyMeta(route, true, toFinalErrorPayload(error)))],
              trace,
            );
          },
        )
      : this.#send(route, [encodeReply(serialized, meta)], trace);
    return toHandledRecord(this.#settleReplies([sent], route, context.getMessage()));
  }

  async #handleInFull(
    handler: HandlerDescriptor,
    data: unknown,
    context: KafkaContext,
    route: ReplyRoute,
    first: FirstRun,
    trace: RecordTrace | undefined,
    retried?: RequestRetry,
  ): Promise<HandledRecord> {
    const { logger, failures } = this.#options;
    const record = retried?.record;
    const plan =
      retried?.run?.plan ?? (record && this.#options.retryTopics?.routes.planOf(record.topic, handler));
    const retry = plan ? SINGLE_RUN : failures.retryOf(handler);
    // Each reply leaves once encoded, so a long stream reaches the caller (and keeps its timeout alive) while
    // it runs; the queue keeps their order. A retry happens only before the first reply, so none is sent twice.
    const sends: Array<Promise<void>> = [];
    const send = (reply: OutgoingRecord): void => {
      const sent = this.#send(route, [reply], trace);
      // Awaited below; marked handled now so a failure mid-stream is not an unhandled rejection meanwhile.
      sent.catch(() => undefined);
      sends.push(sent);
    };
    await runWithRetries(
      (attempt) =>
        lastValueFrom(
          this.#invoke(handler, data, context, attempt === 1 ? first : undefined).pipe(
            toReplyPackets(
              (error, valuesSeen) => valuesSeen === 0 && (plan !== undefined || isRetriableException(error)),
            ),
            concatMap((reply) => from(this.#encodeReply(reply, route, handler, context, trace))),
            map(send),
          ),
          { defaultValue: undefined },
        ),
      retry,
      isRetriableException,
      (error, attempt, backoffMs) => {
        publishHandlerRetry(
          'request',
          handler,
          context,
          { attempt, attempts: retry.attempts, backoffMs },
          error,
          route.correlationId,
        );
        logger.warn(
          `${describeHandler(handler)} asked for a retry (attempt ${attempt} of ${retry.attempts})`,
          {
            ...locate(context.getMessage()),
            error,
          },
        );
      },
    ).catch(async (error: unknown) => {
      // With retry topics, a request that sent no reply yet goes to the next one; its reply comes from the run
      // that succeeds. A failed forward rejects: the request is handled again from its source.
      const forwarding = this.#options.retryTopics?.forwarding;
      if (plan && record && forwarding && sends.length === 0) {
        const failure = { error, attempts: retried?.run?.attempt ?? 1, handler: describeHandler(handler) };
        if ((await forwarding.forward(record, failure, plan, trace)) === 'retry') return;
      }
      // Retries spent (or the reply could not be encoded): the caller still gets an answer, the partition moves on.
      const reason = isRetriableException(error) ? `failed after ${retry.attempts} attempts` : 'failed';
      logThrottled(
        this.#recordLog,
        `failed:${describeHandler(handler)}`,
        logger,
        'error',
        `${describeHandler(handler)} ${reason}`,
        { ...locate(context.getMessage()), error },
      );
      this.#errorReplies += 1;
      trace?.recordError(error);
      publishHandlerError('request', handler, context, error, route.correlationId);
      send(encodeReply(undefined, toReplyMeta(route, true, toFinalErrorPayload(error))));
    });
    publishHandlerEnd('request', handler, context, route.correlationId);
    return toHandledRecord(this.#settleReplies(sends, route, context.getMessage()));
  }

  /** The handler's result as an Observable, under the silence timeout. */
  #invoke(
    handler: HandlerDescriptor,
    data: unknown,
    context: KafkaContext,
    first?: FirstRun,
  ): Observable<unknown> {
    return this.#options.failures.withTimeout(
      toObservable(() => invokeOrReplay(handler, data, context, first)),
      handler,
      context,
    );
  }

  /**
   * Waits for a request's replies. A reply Kafka refused for good (no such reply topic or partition, a
   * record too large) is logged and skipped, and so is the request: redelivering it would fail the same
   * way each time and hold its partition forever. Any other failure rejects, so the record is redelivered.
   * A `then` rather than an async function: an `await` is one promise more per request, and with a tracer
   * SDK (async_hooks on) each promise also runs the hooks.
   */
  #settleReplies(
    sends: ReadonlyArray<Promise<void>>,
    route: ReplyRoute,
    message: IncomingMessage,
  ): Promise<void> {
    const settleFailure = (error: unknown): void => this.#settleFailure(error, route, message);
    // One reply (the common case): no settled-outcome array per request.
    if (sends.length === 1) return sends[0].then(undefined, settleFailure);
    return Promise.allSettled(sends).then((outcomes) => {
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failed) settleFailure(failed.reason);
    });
  }

  /** A reply failed: logged and skipped when Kafka refused it for good, thrown again otherwise. */
  #settleFailure(error: unknown, route: ReplyRoute, message: IncomingMessage): void {
    if (!isRefusedForGood(error, route.replyTopic)) throw error;
    const { replyTopic, correlationId } = route;
    const text = `a reply to ${replyTopic} was refused by Kafka: the request is skipped, its caller gets no (further) reply`;
    const fields = { ...locate(message), correlationId, replyTopic, error };
    // A topic refused as a whole is logged once per interval, however many requests name it.
    if (!this.#options.produceQueue.refuses(replyTopic)) {
      // A partition the reply topic lacks, a record too large: as many lines as requests name it, throttled.
      logThrottled(this.#recordLog, `unwritten:${replyTopic}`, this.#options.logger, 'error', text, fields);
      return;
    }
    const admitted = this.#refusedTopicLog.admit(replyTopic);
    if (!admitted) return;
    const { suppressed } = admitted;
    this.#options.logger.error(
      suppressed === 0 ? text : `${text} (and ${suppressed} more requests naming it since the last line)`,
      { ...fields, suppressed },
    );
  }

  async #encodeReply(
    reply: ServerReply,
    route: ReplyRoute,
    handler: HandlerDescriptor,
    context: KafkaContext,
    trace: RecordTrace | undefined,
  ): Promise<OutgoingRecord> {
    // `in`, not `!== undefined`: a handler may throw `undefined`, and its caller still gets an error reply.
    if ('error' in reply) {
      this.#errorReplies += 1;
      trace?.recordError(reply.error);
      publishHandlerError('request', handler, context, reply.error, route.correlationId);
      const payload = toFinalErrorPayload(reply.error);
      this.#logErrorReply(reply.error, payload, handler, context, route);
      return encodeReply(undefined, toReplyMeta(route, true, payload));
    }
    const serialized = await this.#options.serializer.serialize(reply.response);
    return encodeReply(serialized, toReplyMeta(route, reply.isDisposed));
  }

  /**
   * An error reply the handler chose (an RpcException, a NestJS filter's payload) is its answer to the
   * caller, logged at debug with what the caller gets: at warn, every refused request of a busy service
   * would be a warning. Any other failure stays a warning.
   */
  #logErrorReply(
    error: unknown,
    payload: unknown,
    handler: HandlerDescriptor,
    context: KafkaContext,
    route: ReplyRoute,
  ): void {
    const fields = { ...locate(context.getMessage()), correlationId: route.correlationId };
    if (isDecidedErrorReply(error)) {
      this.#options.logger.debug(`${describeHandler(handler)} answered with an error reply`, {
        ...fields,
        reply: payload,
      });
      return;
    }
    // A NestJS filter's verdict carries no error of its own (Nest's logger reported it): show its payload.
    logThrottled(
      this.#recordLog,
      `error-reply:${describeHandler(handler)}`,
      this.#options.logger,
      'warn',
      'handler failed; sending an error reply',
      error instanceof DecidedErrorPayload ? { ...fields, reply: payload } : { ...fields, error },
    );
  }

  /**
   * Produces `replies` under their send span, when traced. A `then` rather than an async function, and the
   * span ended in it rather than through KafkaTracing.send(): each would be one promise more per reply, and
   * with a tracer SDK (async_hooks on) each promise also runs the hooks.
   */
  #send(route: ReplyRoute, replies: OutgoingRecord[], trace: RecordTrace | undefined): Promise<void> {
    let span: SendSpan | undefined;
    let produced: Promise<void>;
    try {
      span = this.#options.tracing?.startSend(route.replyTopic, replies.length, {
        parent: trace?.context,
        conversationId: route.correlationId,
      });
      produced = this.#produce(route, span ? span.inject(replies) : replies);
    } catch (error) {
      span?.end(error);
      return Promise.reject(error);
    }
    return produced.then(
      () => {
        span?.end();
        this.#repliesSent += replies.length;
        publishReplyProduced(route, replies.length);
      },
      (error: unknown) => {
        span?.end(error);
        throw error;
      },
    );
  }

  #produce(route: ReplyRoute, replies: OutgoingRecord[]): Promise<void> {
    return this.#options.produceQueue.send(route.replyTopic, replies, {
      unprovenTimeoutMs: this.#options.replyTimeoutMs,
    });
  }
}

// The produce queue's verdict: Kafka answered that this reply can never be written as it is, or not by this
// user. A refusal naming another topic (a reply that shared its produce request) is not this reply's: the
// record is redelivered and the reply sent again.
function isRefusedForGood(error: unknown, replyTopic: string): boolean {
  if (!RxKafkaError.isRxKafkaError(error)) return false;
  if (error.code === 'RXK_NOT_AUTHORIZED') {
    return error.context.topic === undefined || error.context.topic === replyTopic;
  }
  return error.code === 'RXK_SEND_FAILED' && !error.retriable;
}

function toHandledRecord(acked: Promise<void>): HandledRecord {
  // The batch runner attaches its own handlers at once; this only keeps Node from calling it unhandled early.
  acked.catch(() => undefined);
  return { acked };
}
