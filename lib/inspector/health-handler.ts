/**
 * /healthz, /readyz and /metrics for an HTTP server of your own (Express, Fastify, node:http), from the
 * same actors the inspector shows, without the page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { ActorHistory } from './actor-history';
import { attachMetrics } from './actor-metrics';
import { explainStuck, resolveStuckThresholdMs } from './explain-stuck';
import { checkLiveness, checkReadiness, type HealthOptions, type HealthVerdict } from './health';
import { nameSources, SourceFollower, type InspectedObject, type NamedSource } from './inspector-source';
import { StuckWatch } from './stuck-watch';

export interface HealthHandlerOptions {
  readonly sources: ReadonlyArray<InspectedObject | NamedSource>;
  readonly health?: HealthOptions;
  /** Where the three paths live. @defaultValue '' (so `/healthz`, `/readyz`, `/metrics`) */
  readonly prefix?: string;
}

export interface HealthHandler {
  /** Answers `request` if it is for one of the three paths and returns true; returns false otherwise. */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
  /** Stops following the sources. */
  close(): void;
}

/**
 * Answers /healthz, /readyz and /metrics for `options.sources`.
 * @throws RxKafkaError RXK_INVALID_OPTIONS for a `health.explainStuckAfterMs` below 0 or not a number.
 */
export function createHealthHandler(options: HealthHandlerOptions): HealthHandler {
  resolveStuckThresholdMs(options.health?.explainStuckAfterMs, 'health.explainStuckAfterMs');
  const sources = nameSources(options.sources);
  // The follower writes what it sees into a history, which nothing here reads: a small one is enough.
  const history = new ActorHistory(100);
  const follower = new SourceFollower(history, `${hostname()}:${process.pid}`, sources);
  const { metrics, detach } = attachMetrics(follower, sources);
  const watch = new StuckWatch({ now: options.health?.now });
  follower.start();
  const prefix = options.prefix ?? '';
  return {
    handle(request, response) {
      const path = new URL(request.url ?? '/', 'http://health').pathname;
      if (request.method !== 'GET') return false;
      if (path === `${prefix}/healthz` || path === `${prefix}/readyz`) {
        follower.poll();
        const verdict = path.endsWith('/healthz')
          ? checkHealth(follower, sources, watch, options.health)
          : checkReadiness(follower.connections());
        response.writeHead(verdict.ok ? 200 : 503, { 'content-type': 'application/json' });
        response.end(`${JSON.stringify(verdict)}\n`);
        return true;
      }
      if (path === `${prefix}/metrics`) {
        follower.poll();
        metrics.text().then(
          (text) => {
            response.writeHead(200, { 'content-type': metrics.contentType });
            response.end(text);
          },
          (error: unknown) => {
            response.writeHead(500, { 'content-type': 'text/plain' });
            response.end(`${String(error)}\n`);
          },
        );
        return true;
      }
      return false;
    },
    close() {
      follower.stop();
      detach();
      watch.close();
    },
  };
}

/** `/healthz`'s body: the liveness verdict, and what is stuck (it explains; it does not decide `ok`). */
export function checkHealth(
  follower: SourceFollower,
  sources: readonly NamedSource[],
  watch: StuckWatch,
  health: HealthOptions = {},
): HealthVerdict & { stuck: ReturnType<typeof explainStuck> } {
  const verdict = checkLiveness(follower.connections(), health);
  const stuck = explainStuck(sources, { thresholdMs: health.explainStuckAfterMs, now: health.now, watch });
  return { ...verdict, stuck };
}
