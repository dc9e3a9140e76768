/**
 * An OpenTelemetry SDK for one spec: spans go to memory, W3C trace context is the propagator, and the
 * context follows async calls. `unregister()` puts the API back as it was (no SDK), so the specs that run
 * after see none.
 */
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

export interface InMemoryTracing {
  readonly exporter: InMemorySpanExporter;
  /** The ended spans so far, in the order they ended. */
  spans(): ReadableSpan[];
  unregister(): Promise<void>;
}

export function registerInMemoryTracing(): InMemoryTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    exporter,
    spans: () => exporter.getFinishedSpans(),
    unregister: async () => {
      trace.disable();
      propagation.disable();
      context.disable();
      await provider.shutdown();
    },
  };
}

/** A span's parent span id, across SDK versions (1.x: `parentSpanId`, 2.x: `parentSpanContext`). */
export function parentSpanIdOf(span: ReadableSpan): string | undefined {
  const current = span as ReadableSpan & {
    parentSpanContext?: { spanId: string };
    parentSpanId?: string;
  };
  return current.parentSpanContext?.spanId ?? current.parentSpanId;
}

/**
 * The spans as an indented tree, children under their parent in the order they started: each line is the
 * span's name, its kind and, when it failed, its `error.type`.
 */
export function renderSpanTree(spans: readonly ReadableSpan[]): string {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of spans) {
    const parent = parentSpanIdOf(span);
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), span]);
  }
  const startOf = (span: ReadableSpan): number => span.startTime[0] * 1e9 + span.startTime[1];
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number): void => {
    const ordered = [...(children.get(parent) ?? [])].sort((a, b) => startOf(a) - startOf(b));
    for (const span of ordered) {
      const failed = span.attributes['error.type'];
      lines.push(
        `${'  '.repeat(depth)}${span.name} (${SpanKind[span.kind]})${failed === undefined ? '' : ` error.type=${String(failed)}`}`,
      );
      walk(span.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}
