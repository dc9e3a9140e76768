import type { ProduceQueue } from '../connection/produce-queue';
import type { HandlerSource } from '../handlers/handler-source';
import { KafkaContext } from '../handlers/kafka-context';
import type { RetryPolicy } from '../handlers/retry-policy';
import type { Consumer, Producer } from '../kafka/kafkajs/kafkajs-types';
import type { Logger } from '../logger';
import type { Deserializer, RequestPacket } from '../wire/deserializer';
import type { IncomingMessage, KafkaParser, RawKafkaRecord } from '../wire/parser';
import { describeBrokenRoute, readReplyRoute, type ReplyRoute } from '../wire/reply-route';
import type { Serializer } from '../wire/serializer';
import type { KafkaTracing, ProcessSpan, RecordTrace } from '../tracing/kafka-tracing';
import type { DeferredRecord, HandledRecord } from './batch-runner-options';
import { EventPath } from './event-path';
import { FailurePolicy } from './failure-policy';
import { locate } from './handler-run';
import { LogThrottle, logThrottled, RECORD_LOG_BURST, RECORD_LOG_INTERVAL_MS } from './log-throttle';
import { RequestPath } from './request-path';
import { RetryForwarding, type RetryCount } from './retry-forwarding';
import { readAttempt, readDueAt, readHeader, RetryHeaders } from './retry-headers';
import { DeadLetterHeaders } from './dead-letter';
import type { RetryStage, RetryTopicRoutes } from './retry-topic-routes';
import { RunsInFlight } from './runs-in-flight';
import { skipRecord, type SkipCommand } from './skip-record';
import type { CommandOutcome } from '../connection/partition-command';
import { isPromiseLike } from './to-observable';

export interface MessageRouterOptions {
  /** The interval of the throttled lines about records that fail alike (0: a line each). @defaultValue RECORD_LOG_INTERVAL_MS */
  readonly recordLogIntervalMs?: number;
  /** Where handlers are found: rxkafka's `HandlerRegistry`, or a NestJS application's handlers. */
  readonly registry: HandlerSource;
  readonly parser: KafkaParser;
  readonly deserializer: Deserializer<RequestPacket>;
  readonly serializer: Serializer;
  readonly produceQueue: ProduceQueue;
  readonly retry: RetryPolicy;
  /** The dead-letter topic of a source topic, or false to only log failed events. */
  readonly deadLetter: false | ((topic: string) => string);
  /** A handler silent for this long (no value, no end) is cut off with RXK_HANDLER_TIMEOUT; 0 = never. */
  readonly handlerTimeoutMs: number;
  /** A reply to a topic that never took a write is given up after this long (see RequestPath). */
  readonly replyTimeoutMs?: number;
  readonly logger: Logger;
  /**
   * Present when an OpenTelemetry SDK is registered: each record is processed under a span, its handlers
   * run in that span's context, and what it produces carries it.
   */
  readonly tracing?: KafkaTracing;
  /** Handlers with `retryTopics`: their retry topics' records run here once due. */
  readonly retryTopics?: RetryTopicRoutes;
  /** The clock retry due times are read from. @defaultValue Date.now */
  readonly now?: () => number;
}

/** The kafkajs objects a KafkaContext exposes for one record. */
export interface RecordTools {
  readonly consumer: Consumer;
  readonly producer: Producer;
  readonly heartbeat: () => Promise<void>;
}

/** What a handler's first run gave: its return value, or what it threw. */

/**
 * Handles one record end to end: decode, route to handlers (NestJS `ServerKafka.handleMessage` rules), and
 * hand it to the request path or the event path. Resolves once everything the record causes is done and its
 * replies are acknowledged by Kafka, so the caller may commit its offset; rejects only when a reply (or dead
 * letter) could not be produced for a passing reason such as an unreachable broker (the record must then be
 * redelivered). A reply Kafka refuses for good is logged and skipped. A failing handler never rejects:
 * requests get an error reply, events are logged (and dead-lettered when configured).
 */
export class MessageRouter {
  readonly #options: MessageRouterOptions;
  readonly #failures: FailurePolicy;
  readonly #requests: RequestPath;
  readonly #events: EventPath;
  readonly #forwarding: RetryForwarding | undefined;
  readonly #inFlight = new RunsInFlight();
  readonly #now: () => number;
  /** One line per interval for records that fail alike (see RECORD_LOG_INTERVAL_MS). */
  readonly #recordLog: LogThrottle;

  constructor(options: MessageRouterOptions) {
    this.#options = options;
    this.#recordLog = new LogThrottle(
      options.recordLogIntervalMs ?? RECORD_LOG_INTERVAL_MS,
      Date.now,
      RECORD_LOG_BURST,
    );
    const { logger } = options;
    this.#failures = new FailurePolicy({
      retry: options.retry,
      deadLetter: options.deadLetter,
      handlerTimeoutMs: options.handlerTimeoutMs,
      produceQueue: options.produceQueue,
      logger,
      tracing: options.tracing,
    });
    this.#now = options.now ?? Date.now;
    const routes = options.retryTopics;
    this.#forwarding = routes
      ? new RetryForwarding({ failures: this.#failures, logger, now: this.#now })
      : undefined;
    const retryTopics = routes && this.#forwarding ? { routes, forwarding: this.#forwarding } : undefined;
    this.#requests = new RequestPath({
      serializer: options.serializer,
      produceQueue: options.produceQueue,
      replyTimeoutMs: options.replyTimeoutMs,
      failures: this.#failures,
      logger,
      recordLogIntervalMs: options.recordLogIntervalMs,
      tracing: options.tracing,
      ...(retryTopics ? { retryTopics } : {}),
    });
    this.#events = new EventPath({
      failures: this.#failures,
      logger,
      recordLogIntervalMs: options.recordLogIntervalMs,
      inFlight: this.#inFlight,
      ...(retryTopics ? { retryTopics } : {}),
    });
  }

  /**
   * An operator's skip of a record an event handler still runs on (see skip-record.ts); a record that is
   * not in flight here, or is a request, is refused with the reason.
   */
  skip(command: SkipCommand): Promise<CommandOutcome> {
    return skipRecord(command, {
      inFlight: this.#inFlight,
      failures: this.#failures,
      logger: this.#options.logger,
      now: this.#now,
    });
  }

  /** Records written to retry topics so far. */
  get retriesForwarded(): number {
    return this.#forwarding?.forwarded ?? 0;
  }

  /** Records written to retry topics so far, by source topic and failed attempt. */
  get retryCounts(): readonly RetryCount[] {
    return this.#forwarding?.counts ?? [];
  }

  /** Reply records produced so far. */
  get repliesSent(): number {
    return this.#requests.repliesSent;
  }

  /** Handlers that failed for good so far: requests answered with an error reply, events skipped. */
  get handlerFailures(): number {
    return this.#requests.errorReplies + this.#events.failed;
  }

  /** Dead letters written so far. */
  get deadLetters(): number {
    return this.#failures.deadLetters;
  }

  /**
   * Resolves once the record's handlers are done; for a request, `acked` then settles when its replies
   * are acknowledged (see BatchRunner: the partition's next record need not wait for that).
   */
  handle(record: RawKafkaRecord, tools: RecordTools): Handled | Promise<Handled> {
    // Read once: the process span names the request's correlation id, and routing follows the route.
    const route = readReplyRoute(record.headers);
    const tracing = this.#options.tracing;
    if (tracing === undefined) return this.#handle(record, route, tools, undefined);
    const span = tracing.startProcess(record, route?.correlationId);
    let handled: Handled | Promise<Handled>;
    try {
      handled = tracing.with(span.context, () => this.#handle(record, route, tools, span));
    } catch (error) {
      span.end(error);
      throw error;
    }
    return endWhenHandled(handled, span);
  }

  /**
   * Asked before handle(): a record of a retry topic that is not due yet is left for later (the batch runner
   * pauses its partition until then). One without a readable due time runs at once, with a warning: holding
   * it could only hold it forever.
   */
  deferral(record: RawKafkaRecord): DeferredRecord | undefined {
    if (this.#options.retryTopics?.stagesOf(record.topic) === undefined) return undefined;
    const dueAtMs = readDueAt(record.headers);
    if (dueAtMs === undefined) {
      logThrottled(
        this.#recordLog,
        `retry-due:${record.topic}`,
        this.#options.logger,
        'warn',
        `a record on the retry topic ${record.topic} has no valid due time; it is handled at once`,
        { topic: record.topic, partition: record.partition, offset: record.offset },
      );
      return undefined;
    }
    return dueAtMs > this.#now() ? { dueAtMs } : undefined;
  }

  #handle(
    record: RawKafkaRecord,
    route: ReplyRoute | undefined,
    tools: RecordTools,
    trace: RecordTrace | undefined,
  ): Handled | Promise<Handled> {
    const message = this.#options.parser.parse(record);
    let packet: RequestPacket | Promise<RequestPacket>;
    try {
      packet = this.#options.deserializer.deserialize(message, { channel: record.topic });
    } catch (error) {
      return this.#skipUndeserializable(record, message, error, trace);
    }
    // The default deserializer answers synchronously, and so does this whole path for a synchronous event
    // handler: no promise per record.
    if (isPromiseLike(packet)) {
      return Promise.resolve(packet).then(
        (resolved) => this.#route(record, route, message, resolved, tools, trace),
        (error: unknown) => this.#skipUndeserializable(record, message, error, trace),
      );
    }
    return this.#route(record, route, message, packet, tools, trace);
  }

  // A record the deserializer refuses is poison for every handler: park it and move on.
  async #skipUndeserializable(
    record: RawKafkaRecord,
    message: IncomingMessage,
    error: unknown,
    trace: RecordTrace | undefined,
  ): Promise<void> {
    trace?.recordError(error);
    logThrottled(
      this.#recordLog,
      `deserializer:${record.topic}`,
      this.#options.logger,
      'error',
      'the deserializer failed; the record is skipped',
      { ...locate(message), error },
    );
    await this.#failures.deadLetter(
      record,
      { error, attempts: 0, handler: 'deserializer' },
      this.#failures.serverDeadLetter,
      trace,
    );
  }

  #route(
    record: RawKafkaRecord,
    route: ReplyRoute | undefined,
    message: IncomingMessage,
    packet: RequestPacket,
    tools: RecordTools,
    trace: RecordTrace | undefined,
  ): Handled | Promise<Handled> {
    const { registry, logger } = this.#options;
    const context = new KafkaContext([
      message,
      record.partition,
      record.topic,
      tools.consumer,
      tools.heartbeat,
      tools.producer,
    ]);
    // Headers that cannot be followed are logged; the record still runs: as an event (half a request), or
    // with its reply where the partitioner puts it (a reply partition that is not a number).
    const broken = describeBrokenRoute(record.headers, route);
    if (broken)
      logThrottled(
        this.#recordLog,
        // Half a request (no route) and an unusable reply partition are two kinds, each with its own lines.
        `${route ? 'reply-partition' : 'half-request'}:${record.topic}`,
        logger,
        'warn',
        broken,
        route ? { ...locate(message), correlationId: route.correlationId } : locate(message),
      );

    const stages = this.#options.retryTopics?.stagesOf(record.topic);
    if (stages) return this.#retry(stages, record, packet, context, route, trace);
    const messageHandler = route ? registry.findMessageHandler(packet.pattern) : undefined;
    if (route && messageHandler) {
      const handled = this.#forwarding
        ? this.#requests.handle(messageHandler, packet.data, context, route, trace, { record })
        : this.#requests.handle(messageHandler, packet.data, context, route, trace);
      return this.#noteRequest(record, handled);
    }
    const eventHandlers = registry.findEventHandlers(packet.pattern);
    if (eventHandlers.length > 0) {
      return this.#events.handle(eventHandlers, packet.data, context, record, trace);
    }
    if (route) {
      logThrottled(
        this.#recordLog,
        `no-handler:${packet.pattern}`,
        logger,
        'warn',
        `no message handler for ${packet.pattern}: replied with an error`,
        locate(message),
      );
      return this.#requests.replyNoHandler(route, message, trace);
    }
    const asEvent = registry.findMessageHandler(packet.pattern);
    // A @MessagePattern record without request headers runs as an event, its result dropped (as NestJS).
    if (asEvent) return this.#events.handle([asEvent], packet.data, context, record, trace);
    logThrottled(
      this.#recordLog,
      `no-handler:${packet.pattern}`,
      logger,
      'warn',
      `no handler for ${packet.pattern}: record skipped`,
      locate(message),
    );
  }

  /**
   * A due record of a retry topic: the one handler it names runs once more, on the attempt its topic is for.
   * A record that names no handler of the topic, or an attempt the topic is not for, cannot be placed in its
   * schedule: it goes to the dead-letter topic with the reason.
   */
  #retry(
    stages: readonly RetryStage[],
    record: RawKafkaRecord,
    packet: RequestPacket,
    context: KafkaContext,
    route: ReplyRoute | undefined,
    trace: RecordTrace | undefined,
  ): HandledRecord | Promise<HandledRecord | void> {
    const forwarding = this.#forwarding as RetryForwarding;
    const name = readHeader(record.headers, DeadLetterHeaders.HANDLER);
    const stage =
      stages.find(({ plan }) => plan.name === name) ?? (stages.length === 1 ? stages[0] : undefined);
    if (!stage) {
      return forwarding.reject(
        record,
        stages[0].plan,
        `a record on the retry topic ${record.topic} names the handler ${String(name)}, which does not retry through it`,
        trace,
      );
    }
    const attempt = readAttempt(record.headers);
    if (attempt !== stage.index + 2) {
      return forwarding.reject(
        record,
        stage.plan,
        `a record on the retry topic ${record.topic} is due for attempt ${String(readHeader(record.headers, RetryHeaders.ATTEMPT))}, not the ${stage.index + 2} this topic is for`,
        trace,
      );
    }
    const run = { plan: stage.plan, attempt };
    // A request keeps its reply route through its retries: the run that succeeds (or the last) answers it.
    if (route && stage.plan.handler.kind === 'message') {
      return this.#noteRequest(
        record,
        this.#requests.handle(stage.plan.handler, packet.data, context, route, trace, { record, run }),
      );
    }
    return this.#events.retry(run, packet.data, context, record, trace);
  }

  /** A request whose handler is still running is in flight until it is done, so a skip can name it. */
  #noteRequest<T>(record: RawKafkaRecord, handled: T | Promise<T>): T | Promise<T> {
    if (!isPromiseLike(handled)) return handled;
    const leave = this.#inFlight.add(record, 'request');
    return Promise.resolve(handled).finally(leave);
  }
}

/** What handling a record gave: done, or done with output still to be acknowledged. */
type Handled = HandledRecord | void;

/**
 * Ends a record's process span when the record is done: its handlers returned and, for a request, its
 * replies are acknowledged (or failed), so the reply's send spans fall inside it.
 */
function endWhenHandled(handled: Handled | Promise<Handled>, span: ProcessSpan): Handled | Promise<Handled> {
  if (isPromiseLike(handled)) {
    return Promise.resolve(handled).then(
      (resolved) => endWhenHandled(resolved, span),
      (error: unknown) => {
        span.end(error);
        throw error;
      },
    );
  }
  if (handled) {
    handled.acked.then(
      () => span.end(),
      (error: unknown) => span.end(error),
    );
  } else {
    span.end();
  }
  return handled;
}
