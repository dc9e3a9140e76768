/**
 * The handles KafkaTracing gives out for its spans: small classes rather than objects of closures, since one
 * is made for every record sent or processed and a closure per method per record is what a profile of the
 * traced benchmarks showed among tracing's own costs.
 */
import type { Context, Span } from '@opentelemetry/api';
import type { OutgoingRecord } from '../kafka/kafka-record';
import { toErrorType, MessagingAttributes as A } from './messaging-attributes';
import type { OpenTelemetryApi } from './opentelemetry-api';

/** What writes a span context into a copy of a record's headers: KafkaTracing. */
export interface RecordInjector {
  inject<R extends OutgoingRecord>(context: Context, record: R, replace: boolean): R;
}

/** Marks `span` failed: `error.type` (the error's code or class unless given) and status ERROR. */
export function markFailed(
  api: OpenTelemetryApi,
  span: Span,
  error: unknown,
  errorType: string = toErrorType(error),
): void {
  span.setAttribute(A.ERROR_TYPE, errorType);
  span.setStatus({
    code: api.SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : undefined,
  });
}

/** A span that ends once: a second end(), with or without an error, changes nothing. */
abstract class EndOnceSpan {
  readonly #api: OpenTelemetryApi;
  readonly #span: Span;
  #ended = false;

  constructor(api: OpenTelemetryApi, span: Span) {
    this.#api = api;
    this.#span = span;
  }

  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    if (error !== undefined) markFailed(this.#api, this.#span, error);
    this.#span.end();
  }

  protected markFailed(error: unknown, errorType?: string): void {
    markFailed(this.#api, this.#span, error, errorType);
  }

  /** The span's trace id, or undefined when its context is not valid. */
  protected validTraceId(): string | undefined {
    const spanContext = this.#span.spanContext();
    return this.#api.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
  }
}

/** The process span of a record or a transaction (a ProcessSpan of kafka-tracing.ts). */
export class ProcessSpanHandle extends EndOnceSpan {
  /** The span's context: what the record's handlers run in, and the parent of what they produce. */
  readonly context: Context;

  constructor(api: OpenTelemetryApi, span: Span, context: Context) {
    super(api, span);
    this.context = context;
  }

  /** Marks the processing failed; the span still ends when its owner ends it. */
  recordError(error: unknown, errorType?: string): void {
    this.markFailed(error, errorType);
  }
}

/** The send span of one produce call (a SendSpan of kafka-tracing.ts). */
export class SendSpanHandle extends EndOnceSpan {
  /** The creation context every record of the call carries. */
  readonly context: Context;
  readonly #injector: RecordInjector;
  readonly #replace: boolean;

  constructor(
    api: OpenTelemetryApi,
    span: Span,
    context: Context,
    injector: RecordInjector,
    replace: boolean,
  ) {
    super(api, span);
    this.context = context;
    this.#injector = injector;
    this.#replace = replace;
  }

  /**
   * The span's trace id; undefined when its context is not valid (no SDK registered). Read on demand: only
   * an inspector's explanation of a stuck request asks for it, and the check costs two regular expressions.
   */
  get traceId(): string | undefined {
    return this.validTraceId();
  }

  /** Copies of `records` whose headers carry this span's context (see SendSpan.inject). */
  inject<R extends OutgoingRecord>(records: readonly R[]): R[] {
    const injected = new Array<R>(records.length);
    for (let index = 0; index < records.length; index++) {
      injected[index] = this.#injector.inject(this.context, records[index], this.#replace);
    }
    return injected;
  }
}
