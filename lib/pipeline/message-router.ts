import type { OutgoingRecord, RecordHeaders } from '../kafka/kafka-record';
import type { Consumer, Producer } from '../kafka/kafkajs/kafkajs-types';
import {
  concatMap,
  isObservable,
  Observable,
  throwError,
  timeout,
  defaultIfEmpty,
  from,
  lastValueFrom,
  map,
} from 'rxjs';
import type { ProduceQueue } from '../delivery/produce-queue';
import { RxKafkaError } from '../errors';
import { isRetriableException } from '../handlers/rpc-exception';
import type { HandlerDescriptor, HandlerRegistry } from '../handlers/handler-registry';
import type { Logger } from '../logger';
import type { Deserializer, RequestPacket } from '../wire/deserializer';
import { createDeadLetter, toDeadLetterTopic } from './dead-letter';
import { toErrorPayload } from './error-payload';
import { KafkaHeaders, NO_MESSAGE_HANDLER } from '../wire/kafka-headers';
import type { IncomingMessage, KafkaParser, RawKafkaRecord } from '../wire/parser';
import { encodeReply, parseReplyPartition, type ReplyMeta } from '../wire/reply-encoder';
import type { Serializer } from '../wire/serializer';
import type { HandledRecord } from './batch-runner';
import { KafkaContext } from '../handlers/kafka-context';
import { toReplyPackets, type ServerReply } from './reply-packets';
import type { RetryPolicy } from '../handlers/retry-policy';
import { runWithRetries } from './run-with-retries';
import { isPromiseLike, toObservable } from './to-observable';

export interface MessageRouterOptions {
  readonly registry: HandlerRegistry;
  readonly parser: KafkaParser;
  readonly deserializer: Deserializer<RequestPacket>;
  readonly serializer: Serializer;
  readonly produceQueue: ProduceQueue;
  readonly retry: RetryPolicy;
  /** The dead-letter topic of a source topic, or false to only log failed events. */
  readonly deadLetter: false | ((topic: string) => string);
  /** A handler silent for this long (no value, no end) is cut off with RXK_HANDLER_TIMEOUT; 0 = never. */
  readonly handlerTimeoutMs: number;
  readonly logger: Logger;
}

/** The kafkajs objects a KafkaContext exposes for one record. */
export interface RecordTools {
  readonly consumer: Consumer;
  readonly producer: Producer;
  readonly heartbeat: () => Promise<void>;
}

/** What a handler's first run gave: its return value, or what it threw. */
type FirstRun = { readonly result: unknown } | { readonly error: unknown };

/** Where a request's replies go; present only on records carrying both NestJS request headers. */
interface ReplyRoute {
  readonly correlationId: string;
  readonly replyTopic: string;
  readonly replyPartition: number | undefined;
}

/**
 * Handles one record end to end: decode, route to handlers (NestJS `ServerKafka.handleMessage` rules), run
 * them, and produce the replies. Resolves once everything the record causes is done and its replies are
 * acknowledged by Kafka, so the caller may commit its offset; rejects only when a reply (or dead letter)
 * could not be produced for a passing reason such as an unreachable broker (the record must then be
 * redelivered). A reply Kafka refuses for good is logged and skipped. A failing handler never rejects:
 * requests get an error reply, events are logged (and dead-lettered when configured).
 */
export class MessageRouter {
  readonly #options: MessageRouterOptions;
  #repliesSent = 0;
  #deadLetters = 0;

  constructor(options: MessageRouterOptions) {
    this.#options = options;
  }

  /** Reply records produced so far. */
  get repliesSent(): number {
    return this.#repliesSent;
  }

  /**
   * Resolves once the record's handlers are done; for a request, `acked` then settles when its replies
   * are acknowledged (see BatchRunner: the partition's next record need not wait for that).
   */
  handle(record: RawKafkaRecord, tools: RecordTools): HandledRecord | void | Promise<HandledRecord | void> {
    const message = this.#options.parser.parse(record);
    let packet: RequestPacket | Promise<RequestPacket>;
    try {
      packet = this.#options.deserializer.deserialize(message, { channel: record.topic });
    } catch (error) {
      return this.#skipUndeserializable(record, message, error);
    }
    // The default deserializer answers synchronously, and so does this whole path for a synchronous event
    // handler: no promise per record.
    if (isPromiseLike(packet)) {
      return Promise.resolve(packet).then(
        (resolved) => this.#route(record, message, resolved, tools),
        (error: unknown) => this.#skipUndeserializable(record, message, error),
      );
    }
    return this.#route(record, message, packet, tools);
  }

  // A record the deserializer refuses is poison for every handler: park it and move on.
  async #skipUndeserializable(
    record: RawKafkaRecord,
    message: IncomingMessage,
    error: unknown,
  ): Promise<void> {
    this.#options.logger.error('the deserializer failed; the record is skipped', {
      ...locate(message),
      error,
    });
    await this.#deadLetter(record, { error, attempts: 0, handler: 'deserializer' }, this.#options.deadLetter);
  }

  #route(
    record: RawKafkaRecord,
    message: IncomingMessage,
    packet: RequestPacket,
    tools: RecordTools,
  ): HandledRecord | void | Promise<HandledRecord | void> {
    const { registry } = this.#options;
    const context = new KafkaContext([
      message,
      record.partition,
      record.topic,
      tools.consumer,
      tools.heartbeat,
      tools.producer,
    ]);
    const route = readReplyRoute(record.headers);
    this.#warnOfBrokenRoute(record.headers, route, message);

    const messageHandler = route ? registry.findMessageHandler(packet.pattern) : undefined;
    if (route && messageHandler) return this.#handleRequest(messageHandler, packet.data, context, route);
    const eventHandlers = registry.findEventHandlers(packet.pattern);
    if (eventHandlers.length > 0) return this.#handleEvent(eventHandlers, packet.data, context, record);
    if (route) {
      // NestJS replies with the plain-text error and no is-disposed header; its client errors on it anyway.
      const reply = encodeReply(undefined, {
        correlationId: route.correlationId,
        replyPartition: route.replyPartition,
        err: NO_MESSAGE_HANDLER,
        isDisposed: false,
      });
      this.#options.logger.warn(
        `no message handler for ${packet.pattern}: replied with an error`,
        locate(message),
      );
      return toHandledRecord(this.#settleReplies([this.#send(route, [reply])], route, message));
    }
    const asEvent = registry.findMessageHandler(packet.pattern);
    // A @MessagePattern record without request headers runs as an event, its result dropped (as NestJS).
    if (asEvent) return this.#handleEvent([asEvent], packet.data, context, record);
    this.#options.logger.warn(`no handler for ${packet.pattern}: record skipped`, locate(message));
  }

  #handleRequest(
    handler: HandlerDescriptor,
    data: unknown,
    context: KafkaContext,
    route: ReplyRoute,
  ): HandledRecord | Promise<HandledRecord> {
    // The common case first: a handler that returns a plain value has one reply, sent at once, with no
    // stream built around it. Anything else (a stream, a Promise, a throw) takes the general path below,
    // which starts from this first run rather than running the handler again.
    let first: FirstRun;
    try {
      const result = handler.invoke(data, context);
      if (!isObservable(result) && !isPromiseLike(result)) {
        const handled = this.#replyWithValue(result, handler, context, route);
        if (handled) return handled;
      }
      first = { result };
    } catch (error) {
      first = { error };
    }
    return this.#handleRequestInFull(handler, data, context, route, first);
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
  ): HandledRecord | undefined {
    let serialized: ReturnType<Serializer['serialize']>;
    try {
      serialized = this.#options.serializer.serialize(value);
    } catch {
      return undefined;
    }
    const meta = toReplyMeta(route, true);
    const sent = isPromiseLike(serialized)
      ? Promise.resolve(serialized).then(
          (resolved) => this.#send(route, [encodeReply(resolved, meta)]),
          (error: unknown) => {
            this.#options.logger.error(`${describeHandler(handler)} failed`, {
              ...locate(context.getMessage()),
              error,
            });
            return this.#send(route, [
              encodeReply(undefined, toReplyMeta(route, true, toFinalErrorPayload(error))),
            ]);
          },
        )
      : this.#send(route, [encodeReply(serialized, meta)]);
    return toHandledRecord(this.#settleReplies([sent], route, context.getMessage()));
  }

  async #handleRequestInFull(
    handler: HandlerDescriptor,
    data: unknown,
    context: KafkaContext,
    route: ReplyRoute,
    first: FirstRun,
  ): Promise<HandledRecord> {
    const { logger } = this.#options;
    const retry = this.#retryPolicyOf(handler);
    // Each reply leaves once encoded, so a long stream reaches the caller (and keeps its timeout alive) while
    // it runs; the queue keeps their order. A retry happens only before the first reply, so none is sent twice.
    const sends: Array<Promise<void>> = [];
    const send = (reply: OutgoingRecord): void => {
      const sent = this.#send(route, [reply]);
      // Awaited below; marked handled now so a failure mid-stream is not an unhandled rejection meanwhile.
      sent.catch(() => undefined);
      sends.push(sent);
    };
    await runWithRetries(
      (attempt) =>
        lastValueFrom(
          this.#invoke(handler, data, context, attempt === 1 ? first : undefined).pipe(
            toReplyPackets((error, valuesSeen) => valuesSeen === 0 && isRetriableException(error)),
            concatMap((reply) => from(this.#encodeReply(reply, route))),
            map(send),
          ),
          { defaultValue: undefined },
        ),
      retry,
      isRetriableException,
      (error, attempt) =>
        logger.warn(
          `${describeHandler(handler)} asked for a retry (attempt ${attempt} of ${retry.attempts})`,
          {
            ...locate(context.getMessage()),
            error,
          },
        ),
    ).catch((error: unknown) => {
      // Retries spent (or the reply could not be encoded): the caller still gets an answer, the partition moves on.
      const reason = isRetriableException(error) ? `failed after ${retry.attempts} attempts` : 'failed';
      logger.error(`${describeHandler(handler)} ${reason}`, { ...locate(context.getMessage()), error });
      send(encodeReply(undefined, toReplyMeta(route, true, toFinalErrorPayload(error))));
    });
    return toHandledRecord(this.#settleReplies(sends, route, context.getMessage()));
  }

  /**
   * Waits for a request's replies. A reply Kafka refused for good (no such reply topic or partition, a
   * record too large) is logged and skipped, and so is the request: redelivering it would fail the same
   * way each time and hold its partition forever. Any other failure rejects, so the record is redelivered.
   */
  async #settleReplies(
    sends: ReadonlyArray<Promise<void>>,
    route: ReplyRoute,
    message: IncomingMessage,
  ): Promise<void> {
    let error: unknown;
    if (sends.length === 1) {
      // One reply (the common case): no settled-outcome array per request.
      try {
        await sends[0];
        return;
      } catch (failure) {
        error = failure;
      }
    } else {
      const outcomes = await Promise.allSettled(sends);
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      if (!failed) return;
      error = failed.reason;
    }
    if (!isRefusedForGood(error)) throw error;
    this.#options.logger.error(
      `a reply to ${route.replyTopic} was refused by Kafka: the request is skipped, its caller gets no (further) reply`,
      { ...locate(message), correlationId: route.correlationId, replyTopic: route.replyTopic, error },
    );
  }

  /**
   * Logs request headers that cannot be followed; the record still runs: as an event (half a request), or
   * with its reply where the partitioner puts it (a reply partition that is not a number).
   */
  #warnOfBrokenRoute(
    headers: RecordHeaders | undefined,
    route: ReplyRoute | undefined,
    message: IncomingMessage,
  ): void {
    const { logger } = this.#options;
    if (!route) {
      const hasId = Boolean(headerText(headers?.[KafkaHeaders.CORRELATION_ID]));
      const hasTopic = Boolean(headerText(headers?.[KafkaHeaders.REPLY_TOPIC]));
      if (hasId !== hasTopic) {
        const [present, absent] = hasId
          ? [KafkaHeaders.CORRELATION_ID, KafkaHeaders.REPLY_TOPIC]
          : [KafkaHeaders.REPLY_TOPIC, KafkaHeaders.CORRELATION_ID];
        logger.warn(
          `a record carries ${present} but no usable ${absent}: it is handled as an event and gets no reply`,
          locate(message),
        );
      }
      return;
    }
    const partition = headerText(headers?.[KafkaHeaders.REPLY_PARTITION]);
    if (partition !== undefined && route.replyPartition === undefined) {
      logger.warn(
        `${KafkaHeaders.REPLY_PARTITION} ${JSON.stringify(partition)} is not a partition number: the reply goes where the partitioner puts it`,
        { ...locate(message), correlationId: route.correlationId },
      );
    }
  }

  async #encodeReply(reply: ServerReply, route: ReplyRoute): Promise<OutgoingRecord> {
    if (reply.error !== undefined) {
      this.#options.logger.warn('handler failed; sending an error reply', {
        correlationId: route.correlationId,
        error: reply.error,
      });
      return encodeReply(undefined, toReplyMeta(route, true, toFinalErrorPayload(reply.error)));
    }
    const serialized = await this.#options.serializer.serialize(reply.response);
    return encodeReply(serialized, toReplyMeta(route, reply.isDisposed));
  }

  /**
   * The handler's result as an Observable, cut off when it stays silent past handlerTimeoutMs: a handler
   * that never settles would otherwise hold its partition (and, in kafkajs, every partition fetched with it).
   */
  #invoke(
    handler: HandlerDescriptor,
    data: unknown,
    context: KafkaContext,
    first?: FirstRun,
  ): Observable<unknown> {
    return this.#withTimeout(
      toObservable(() => invokeOrReplay(handler, data, context, first)),
      handler,
      context,
    );
  }

  #handlerTimeoutError(handler: HandlerDescriptor, context: KafkaContext): RxKafkaError {
    return new RxKafkaError(
      'RXK_HANDLER_TIMEOUT',
      `${describeHandler(handler)} produced nothing for ${this.#options.handlerTimeoutMs} ms and was cut off`,
      { topic: context.getTopic(), partition: context.getPartition() },
    );
  }

  #withTimeout(
    result: Observable<unknown>,
    handler: HandlerDescriptor,
    context: KafkaContext,
  ): Observable<unknown> {
    const timeoutMs = this.#options.handlerTimeoutMs;
    if (timeoutMs <= 0) return result;
    return result.pipe(
      timeout({
        each: timeoutMs,
        with: () => throwError(() => this.#handlerTimeoutError(handler, context)),
      }),
    );
  }

  /**
   * Runs a record's event handlers. Returns nothing (synchronously) when there is one handler and it
   * returned a plain value, the common case; a Promise otherwise.
   */
  #handleEvent(
    handlers: readonly HandlerDescriptor[],
    data: unknown,
    context: KafkaContext,
    record: RawKafkaRecord,
  ): void | Promise<void> {
    if (handlers.length === 1) {
      const [handler] = handlers;
      let first: FirstRun;
      try {
        const result = handler.invoke(data, context);
        if (!isObservable(result) && !isPromiseLike(result)) return;
        first = { result };
      } catch (error) {
        first = { error };
      }
      return this.#runEventHandler(handler, data, context, record, first);
    }
    // Several handlers of one event all run, concurrently, as NestJS's forkJoin does; each retries alone.
    return Promise.all(handlers.map((handler) => this.#runEventHandler(handler, data, context, record))).then(
      () => undefined,
    );
  }

  /**
   * One event handler with its retries, timeout and failure handling; `first` is the outcome of a first
   * run already made.
   */
  async #runEventHandler(
    handler: HandlerDescriptor,
    data: unknown,
    context: KafkaContext,
    record: RawKafkaRecord,
    first?: FirstRun,
  ): Promise<void> {
    const retry = this.#retryPolicyOf(handler);
    let attempts = 0;
    try {
      await runWithRetries(
        async (attempt) => {
          attempts = attempt;
          const result = invokeOrReplay(handler, data, context, attempt === 1 ? first : undefined);
          await this.#settleEventResult(result, handler, context);
        },
        retry,
        isRetriableException,
      );
    } catch (error) {
      // Unlike NestJS (issues #10091, #10972), a failed event never stalls its partition: it is logged,
      // dead-lettered when configured, and committed.
      this.#options.logger.error(
        `${describeHandler(handler)} failed after ${attempts} attempt(s); the event is skipped`,
        {
          ...locate(context.getMessage()),
          error,
        },
      );
      await this.#deadLetter(
        record,
        { error, attempts, handler: describeHandler(handler) },
        this.#deadLetterOf(handler),
      );
    }
  }

  /**
   * Waits for what an event handler returned: nothing for a plain value; a Promise under a plain timer (an
   * async handler is the common case, and an rxjs pipeline per record costs more than the work it guards);
   * an Observable (or a Promise of one) until it completes, under the same silence timeout.
   */
  async #settleEventResult(
    result: unknown,
    handler: HandlerDescriptor,
    context: KafkaContext,
  ): Promise<void> {
    let settled = result;
    if (isPromiseLike(settled) && !isObservable(settled)) {
      settled = await this.#withDeadline(settled, handler, context);
    }
    if (!isObservable(settled)) return;
    await lastValueFrom(
      this.#withTimeout(settled, handler, context).pipe(
        map(() => undefined),
        defaultIfEmpty(undefined),
      ),
    );
  }

  /** `pending`, rejected with RXK_HANDLER_TIMEOUT if it has not settled within handlerTimeoutMs. */
  #withDeadline(
    pending: PromiseLike<unknown>,
    handler: HandlerDescriptor,
    context: KafkaContext,
  ): Promise<unknown> {
    const timeoutMs = this.#options.handlerTimeoutMs;
    if (timeoutMs <= 0) return Promise.resolve(pending);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.#handlerTimeoutError(handler, context)), timeoutMs);
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

  #retryPolicyOf(handler: HandlerDescriptor): RetryPolicy {
    const own = handler.options.retry;
    return own ? { ...this.#options.retry, ...own } : this.#options.retry;
  }

  #deadLetterOf(handler: HandlerDescriptor): false | ((topic: string) => string) {
    const own = handler.options.deadLetter;
    if (own === undefined) return this.#options.deadLetter;
    if (own === false) return false;
    return own === true ? toDeadLetterTopic : () => own;
  }

  /**
   * Writes the dead letter; a failure to write it rejects, so the record is not committed and comes back
   * (nothing is lost, but the partition waits until the dead-letter topic accepts writes).
   */
  async #deadLetter(
    record: RawKafkaRecord,
    failure: { error: unknown; attempts: number; handler: string },
    deadLetter: false | ((topic: string) => string),
  ): Promise<void> {
    if (!deadLetter) return;
    const topic = deadLetter(record.topic);
    try {
      await this.#options.produceQueue.send(topic, [createDeadLetter(record, failure)]);
    } catch (error) {
      this.#options.logger.error(
        `writing the dead letter to ${topic} failed: create the topic, or turn deadLetter off`,
        {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
          error,
        },
      );
      throw error;
    }
    this.#deadLetters += 1;
  }

  /** Dead letters written so far. */
  get deadLetters(): number {
    return this.#deadLetters;
  }

  async #send(route: ReplyRoute, replies: OutgoingRecord[]): Promise<void> {
    await this.#options.produceQueue.send(route.replyTopic, replies);
    this.#repliesSent += replies.length;
  }
}

/** Runs the handler, or, given the outcome of a run already made, returns (or throws) that instead. */
function invokeOrReplay(
  handler: HandlerDescriptor,
  data: unknown,
  context: KafkaContext,
  first: FirstRun | undefined,
): unknown {
  if (!first) return handler.invoke(data, context);
  if ('error' in first) throw first.error;
  return first.result;
}

// The produce queue's verdict: Kafka answered that this reply can never be written as it is.
function isRefusedForGood(error: unknown): boolean {
  return RxKafkaError.isRxKafkaError(error) && error.code === 'RXK_SEND_FAILED' && !error.retriable;
}

function readReplyRoute(headers: RecordHeaders | undefined): ReplyRoute | undefined {
  const correlationId = headerText(headers?.[KafkaHeaders.CORRELATION_ID]);
  const replyTopic = headerText(headers?.[KafkaHeaders.REPLY_TOPIC]);
  if (!correlationId || !replyTopic) return undefined;
  return {
    correlationId,
    replyTopic,
    replyPartition: parseReplyPartition(headerText(headers?.[KafkaHeaders.REPLY_PARTITION])),
  };
}

// The raw header bytes, not the parser's decoding: an id that looks like JSON must echo back byte for byte.
function headerText(value: RecordHeaders[string]): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}

// One literal with every field: spreading a shorter object and adding a key makes a slow object in V8.
function toReplyMeta(route: ReplyRoute, isDisposed: boolean, err?: unknown): ReplyMeta {
  return { correlationId: route.correlationId, replyPartition: route.replyPartition, err, isDisposed };
}

// A spent KafkaRetriableException reads as RpcException(message) would; NestJS has no such case (it retries forever).
// A handler timeout is rxkafka's own verdict, safe and useful to tell the caller.
function toFinalErrorPayload(error: unknown): unknown {
  const isOwnVerdict =
    isRetriableException(error) ||
    (RxKafkaError.isRxKafkaError(error) && error.code === 'RXK_HANDLER_TIMEOUT');
  return isOwnVerdict && error instanceof Error
    ? { status: 'error', message: error.message }
    : toErrorPayload(error);
}

function toHandledRecord(acked: Promise<void>): HandledRecord {
  // The batch runner attaches its own handlers at once; this only keeps Node from calling it unhandled early.
  acked.catch(() => undefined);
  return { acked };
}

function describeHandler(handler: HandlerDescriptor): string {
  return `${handler.controller}.${handler.method}`;
}

function locate(message: IncomingMessage): Record<string, unknown> {
  return { topic: message.topic, partition: message.partition, offset: message.offset };
}
