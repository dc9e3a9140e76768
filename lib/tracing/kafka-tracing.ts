/**
 * rxkafka's spans and trace context, over `@opentelemetry/api`: a `send` span (PRODUCER) for each produce
 * call whose context every record carries in its headers, and a `process` span (CONSUMER) for each record
 * handled, child of the context its headers carry. Front ends make one with `createKafkaTracing()`, which
 * answers undefined when no SDK is registered: every call site then takes its untraced path.
 */
import type { Context, Link, Tracer } from '@opentelemetry/api';
import type { OutgoingRecord, RecordHeaders } from '../kafka/kafka-record';
import type { Logger } from '../logger';
import { recordHeaderGetter, recordHeaderSetter } from './header-carrier';
import {
  MessagingAttributes as A,
  operationAttributes,
  toKeyAttribute,
  type MessagingIdentity,
} from './messaging-attributes';
import { isTracerProviderRegistered, loadOpenTelemetryApi, type OpenTelemetryApi } from './opentelemetry-api';
import { copyRecordHeaders, withRecordHeaders } from './record-copy';
import { ProcessSpanHandle, SendSpanHandle } from './span-handles';

/** Who produces and consumes: the `messaging.client.id` and `messaging.consumer.group.name` of the spans. */
export type TracingIdentity = MessagingIdentity;

/** A consumed record, as its process span describes it. */
export interface TracedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key?: unknown;
  readonly value?: unknown;
  readonly headers?: RecordHeaders;
}

/** The processing of one consumed record, handed down the paths that run its handlers and produce for it. */
export interface RecordTrace {
  /** The process span's context: what the record's handlers run in, and the parent of what they produce. */
  readonly context: Context;
  /**
   * Marks the processing failed (`error.type`, status ERROR); the span still ends when the record is done.
   * `errorType` defaults to the error's code or class name.
   */
  recordError(error: unknown, errorType?: string): void;
}

/** A process span: a RecordTrace its owner ends. Ending twice is harmless. */
export interface ProcessSpan extends RecordTrace {
  end(error?: unknown): void;
}

/** A send span: the creation context of the records it injects into. Ending twice is harmless. */
export interface SendSpan {
  readonly context: Context;
  /** The span's trace id (32 hex digits); absent when its context is not valid (no SDK registered). */
  readonly traceId?: string;
  /**
   * Copies of `records` whose headers carry this span's context; the records and their header objects are
   * left as they were. A record that already carries a `traceparent` keeps it (a context the user chose),
   * unless the span was started with `replaceContext`.
   */
  inject<R extends OutgoingRecord>(records: readonly R[]): R[];
  end(error?: unknown): void;
}

export interface SendSpanOptions {
  /** The parent context. @defaultValue the active context */
  readonly parent?: Context;
  /** `messaging.message.conversation_id`: a request's correlation id. */
  readonly conversationId?: string;
  /** Write this span's context over a `traceparent` the record has (a dead letter carries its original's). */
  readonly replaceContext?: boolean;
  /** Links to other contexts (the inputs of a transaction). */
  readonly links?: Link[];
}

const TRACEPARENT = 'traceparent';

export class KafkaTracing {
  readonly #api: OpenTelemetryApi;
  readonly #tracer: Tracer;
  readonly #identity: TracingIdentity;
  readonly #logger: Logger;

  constructor(api: OpenTelemetryApi, identity: TracingIdentity, logger: Logger) {
    this.#api = api;
    this.#tracer = api.trace.getTracer('rxkafka');
    this.#identity = identity;
    this.#logger = logger;
  }

  /** The caller's context now (a request or event takes it as its parent when it is sent later). */
  activeContext(): Context {
    return this.#api.context.active();
  }

  /** Runs `run` with `context` active, so the spans a handler starts are children of its record's. */
  with<T>(context: Context, run: () => T): T {
    return this.#api.context.with(context, run);
  }

  /** Starts `send {topic}` for `messageCount` records. */
  startSend(topic: string, messageCount: number, options: SendSpanOptions = {}): SendSpan {
    const api = this.#api;
    const attributes = operationAttributes('send', topic, undefined, this.#identity);
    if (messageCount !== 1) attributes[A.BATCH_MESSAGE_COUNT] = messageCount;
    if (options.conversationId !== undefined) attributes[A.CONVERSATION_ID] = options.conversationId;
    const parent = options.parent ?? api.context.active();
    const span = this.#tracer.startSpan(
      `send ${topic}`,
      { kind: api.SpanKind.PRODUCER, attributes, links: options.links },
      parent,
    );
    return new SendSpanHandle(
      api,
      span,
      api.trace.setSpan(parent, span),
      this,
      options.replaceContext === true,
    );
  }

  /**
   * A copy of `record` whose headers carry `context`; the record and its header object are left as they
   * were. A record that already carries a `traceparent` is returned as it is (a context the user chose, which
   * the conventions say not to modify), unless `replace`.
   */
  inject<R extends OutgoingRecord>(context: Context, record: R, replace = false): R {
    if (!replace && record.headers?.[TRACEPARENT] !== undefined) return record;
    const headers = copyRecordHeaders(record.headers);
    this.#api.propagation.inject(context, headers, recordHeaderSetter);
    return withRecordHeaders(record, headers);
  }

  /** Sends `records` through `produce` under a send span, which ends when `produce` settles. */
  send<T, R extends OutgoingRecord>(
    topic: string,
    records: readonly R[],
    produce: (records: R[]) => Promise<T>,
    options: SendSpanOptions = {},
  ): Promise<T> {
    const span = this.startSend(topic, records.length, options);
    let produced: Promise<T>;
    try {
      produced = produce(span.inject(records));
    } catch (error) {
      span.end(error);
      throw error;
    }
    return produced.then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        span.end(error);
        throw error;
      },
    );
  }

  /** Starts `process {topic}` for one consumed record, child of the context its headers carry. */
  startProcess(record: TracedRecord, conversationId?: string): ProcessSpan {
    const api = this.#api;
    const attributes = operationAttributes('process', record.topic, record.partition, this.#identity);
    attributes[A.KAFKA_OFFSET] = Number(record.offset);
    const key = toKeyAttribute(record.key);
    if (key !== undefined) attributes[A.KAFKA_MESSAGE_KEY] = key;
    if (record.value === null) attributes[A.KAFKA_TOMBSTONE] = true;
    if (conversationId !== undefined) attributes[A.CONVERSATION_ID] = conversationId;
    const parent = this.extract(record);
    const span = this.#tracer.startSpan(
      `process ${record.topic}`,
      { kind: api.SpanKind.CONSUMER, attributes },
      parent,
    );
    return new ProcessSpanHandle(api, span, api.trace.setSpan(parent, span));
  }

  /**
   * Starts `process {topic}` for the records one transaction consumes: a span linked to each record's
   * creation context (a transaction has many parents, so none is its parent), in the caller's context.
   */
  startTransaction(topic: string, partition: number, records: readonly TracedRecord[]): ProcessSpan {
    const api = this.#api;
    const links: Link[] = [];
    for (const record of records) {
      const linked = api.trace.getSpanContext(this.extract(record));
      if (linked !== undefined) links.push({ context: linked });
    }
    const attributes = operationAttributes('process', topic, partition, this.#identity);
    attributes[A.BATCH_MESSAGE_COUNT] = records.length;
    const parent = api.context.active();
    const span = this.#tracer.startSpan(
      `process ${topic}`,
      { kind: api.SpanKind.CONSUMER, attributes, links },
      parent,
    );
    return new ProcessSpanHandle(api, span, api.trace.setSpan(parent, span));
  }

  /**
   * The context a record's headers carry, on a root context: the consumer loop's own context is no
   * record's parent. A record without headers, or whose traceparent the propagator cannot read (wrong
   * length, bad hex, an unknown version), gives the root context: its processing starts a new trace.
   */
  extract(record: TracedRecord): Context {
    const api = this.#api;
    const root = api.ROOT_CONTEXT;
    if (record.headers === undefined || record.headers === null) return root;
    let extracted: Context;
    try {
      extracted = api.propagation.extract(root, record.headers, recordHeaderGetter);
    } catch (error) {
      // A propagator of the user's that throws on a header must not fail the record.
      this.#logger.debug('the trace context of a record could not be read: it starts a new trace', {
        ...locate(record),
        error,
      });
      return root;
    }
    if (!Object.hasOwn(record.headers, TRACEPARENT)) return extracted;
    const parent = api.trace.getSpanContext(extracted);
    if (parent !== undefined && api.isSpanContextValid(parent)) return extracted;
    // A propagator may hand back an all-zero id it parsed: that is no parent either.
    this.#logger.debug('a record carries an unreadable traceparent header: it starts a new trace', {
      ...locate(record),
      traceparent: recordHeaderGetter.get(record.headers, TRACEPARENT),
    });
    return root;
  }
}

/**
 * The tracing of a client, server or producer: undefined when `@opentelemetry/api` is not installed or no
 * SDK registered a tracer provider when it was made (checked once: register the SDK before creating them).
 */
export function createKafkaTracing(identity: TracingIdentity, logger: Logger): KafkaTracing | undefined {
  const api = loadOpenTelemetryApi();
  if (api === undefined || !isTracerProviderRegistered(api)) return undefined;
  return new KafkaTracing(api, identity, logger);
}

function locate(record: TracedRecord): Record<string, unknown> {
  return { topic: record.topic, partition: record.partition, offset: record.offset };
}
