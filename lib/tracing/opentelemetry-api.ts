/**
 * The one place rxkafka loads `@opentelemetry/api`, an optional peer dependency: lazily, at most once per
 * process, so a process without it (or without an SDK) never pays for tracing beyond one check per client,
 * server or producer.
 */
import type * as otel from '@opentelemetry/api';

/** The `@opentelemetry/api` module. */
export type OpenTelemetryApi = typeof otel;

// undefined: not looked for yet; null: not installed.
let loaded: OpenTelemetryApi | null | undefined;

/** The installed `@opentelemetry/api`, or undefined when the package cannot be loaded. */
export function loadOpenTelemetryApi(): OpenTelemetryApi | undefined {
  if (loaded === undefined) {
    try {
      // A lazy require: rxkafka must load without the package, and a static import would need it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require('@opentelemetry/api') as OpenTelemetryApi;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/**
 * True when an SDK registered a tracer provider (`trace.setGlobalTracerProvider`, which NodeSDK and
 * `NodeTracerProvider.register()` call). The API's global provider is a proxy whose delegate stays the
 * API's no-op provider until then. The registration may come from another copy of the 1.x API: the global
 * is shared by major version, and its proxy then delegates to that SDK's provider.
 */
export function isTracerProviderRegistered(api: OpenTelemetryApi): boolean {
  const provider = api.trace.getTracerProvider() as otel.TracerProvider & {
    getDelegate?: () => otel.TracerProvider;
  };
  const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
  // A fresh proxy's delegate is the API's one shared no-op provider.
  const noop = new api.ProxyTracerProvider().getDelegate();
  return delegate !== noop;
}
