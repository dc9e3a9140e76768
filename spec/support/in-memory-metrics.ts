/**
 * An OpenTelemetry metrics SDK for one spec: a meter provider whose reader exports to memory on demand.
 * `unregister()` puts the API back as it was (no meter provider), so the specs that run after see none.
 */
import { metrics, type Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { createMessagingMetrics } from '../../lib/diagnostics/messaging-metrics';

/** One data point of an instrument: a counter's sum, or a histogram's count and sum. */
export interface MetricPoint {
  readonly attributes: Attributes;
  readonly value: number | { count: number; sum?: number };
}

export interface InMemoryMetrics {
  /** The points of `name` exported now (cumulative since the provider was registered). */
  points(name: string): Promise<MetricPoint[]>;
  unregister(): Promise<void>;
}

export function registerInMemoryMetrics(): InMemoryMetrics {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exported when asked (forceFlush), never on a timer of its own during a spec.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  return {
    points: async (name) => {
      await provider.forceFlush();
      const exported = exporter.getMetrics().at(-1);
      const found: MetricData | undefined = exported?.scopeMetrics
        .flatMap((scope) => scope.metrics)
        .find((metric) => metric.descriptor.name === name);
      return (found?.dataPoints ?? []).map((point) => ({
        attributes: point.attributes,
        value:
          typeof point.value === 'number'
            ? point.value
            : { count: (point.value as { count: number }).count, sum: (point.value as { sum?: number }).sum },
      }));
    },
    unregister: async () => {
      metrics.disable();
      await provider.shutdown();
      // rxkafka drops its handler-channel subscription when the next connection finds no meter provider:
      // ask as a connection would, so the specs after this one see channels nobody listens to.
      createMessagingMetrics({ clientId: 'in-memory-metrics-unregister' });
    },
  };
}
