/**
 * An implementation with an OpenTelemetry tracer SDK registered before its code loads, as an operator
 * would run it: every span sampled, W3C trace context, the active span through AsyncLocalStorage. Ended
 * spans go to a processor that only counts them, so a run measures what making spans and carrying their
 * context costs, not an exporter's network. kafkajs gets `@opentelemetry/instrumentation-kafkajs`, the
 * tracing its users add; rxkafka makes its own spans and gets no instrumentation.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Implementation } from './implementation';

/** Counts the spans that ended; writes the count to stderr when the worker exits. */
class CountingSpanProcessor implements SpanProcessor {
  ended = 0;

  onStart(_span: Span, _parent: Context): void {}

  onEnd(_span: ReadableSpan): void {
    this.ended += 1;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

let registered: CountingSpanProcessor | undefined;

/** Registers the SDK once per worker; instrumentations must be enabled before kafkajs is first required. */
function registerTracing(instrumentKafkajs: boolean): void {
  if (registered) return;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeTracerProvider } =
    require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  registered = new CountingSpanProcessor();
  new NodeTracerProvider({ spanProcessors: [registered] }).register();
  if (instrumentKafkajs) {
    const { KafkaJsInstrumentation } =
      require('@opentelemetry/instrumentation-kafkajs') as typeof import('@opentelemetry/instrumentation-kafkajs');
    new KafkaJsInstrumentation().enable();
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  const counter = registered;
  // The figure that shows tracing was on: a run with no spans would measure nothing.
  process.once('exit', () => process.stderr.write(`[bench worker] ${counter.ended} spans ended\n`));
}

/** rxkafka with the SDK registered. */
export function tracedRxkafka(): Implementation {
  registerTracing(false);
  /* eslint-disable-next-line @typescript-eslint/no-require-imports */
  return (require('./rxkafka') as typeof import('./rxkafka')).rxkafkaImplementation;
}

/** Raw kafkajs with the SDK registered and kafkajs instrumented. */
export function tracedKafkajs(): Implementation {
  registerTracing(true);
  /* eslint-disable-next-line @typescript-eslint/no-require-imports */
  return (require('./kafkajs') as typeof import('./kafkajs')).kafkajsImplementation;
}
