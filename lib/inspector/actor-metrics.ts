/**
 * Prometheus metrics from the actors, in prom-client's registry and text format: the state of each
 * connection, its transitions, each partition's records in flight, lag and committed offset, and the
 * client's requests (pending, timed out, answered, and a latency histogram), and the server's figures
 * (records forwarded to retry topics by topic and attempt among them, and the records waiting on each retry
 * topic with the oldest one's due time). Transitions and request durations
 * come from the diagnostics channels (`rxkafka:connection:transition`, `rxkafka:request:settled`), as any
 * other observer of rxkafka reads them.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, Gauge, Registry } from 'prom-client';
import type { KafkaConnection } from '../connection/kafka-connection';
import { connectionMachine, type ConnectionStateValue } from '../connection/connection-machine';
import { KafkaClient } from '../client/kafka-client';
import {
  DIAGNOSTICS_CHANNELS,
  type ConnectionTransitionPayload,
  type RequestSettledPayload,
} from '../diagnostics/diagnostics-channels';
import { KafkaServer, type ServerStats } from '../server/kafka-server';
import { namedConnectionsOf, type NamedSource, type SourceFollower } from './inspector-source';
import { RequestDurationHistogram } from './request-duration-histogram';

// The chart's own top-level states, so a state added to the machine shows up here too.
const STATES = Object.keys(connectionMachine.root.states) as ConnectionStateValue[];

export class ActorMetrics {
  readonly registry = new Registry();
  readonly #transitions: Counter<'source' | 'from' | 'to'>;
  readonly #requestSeconds = new RequestDurationHistogram();

  constructor(
    connections: () => ReadonlyMap<string, KafkaConnection>,
    requests: () => ReadonlyMap<string, RequestCounts>,
    servers: () => ReadonlyMap<string, ServerStats> = () => new Map(),
  ) {
    const registry = this.registry;
    new Gauge({
      name: 'rxkafka_connection_state',
      help: 'The connection actor’s top-level state: 1 for the current one, 0 for the others.',
      labelNames: ['source', 'state'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [source, connection] of connections()) {
          const current = connection.state;
          for (const state of STATES) this.set({ source, state }, state === current ? 1 : 0);
        }
      },
    });
    this.#transitions = new Counter({
      name: 'rxkafka_transitions_total',
      help: 'Top-level transitions the connection actor took, by the states it left and entered.',
      labelNames: ['source', 'from', 'to'],
      registers: [registry],
    });
    const partitionGauge = (
      name: string,
      help: string,
      read: (view: KafkaConnection['partitions'][number]) => number | undefined,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['source', 'topic', 'partition'],
        registers: [registry],
        collect() {
          this.reset();
          for (const [source, connection] of connections()) {
            for (const view of connection.partitions) {
              const value = read(view);
              if (value === undefined) continue;
              this.set(
                { source, topic: view.context.topic, partition: String(view.context.partition) },
                value,
              );
            }
          }
        },
      });
    partitionGauge(
      'rxkafka_partition_in_flight',
      'Records of the partition in flight (fetched, not finished).',
      (view) => view.context.inFlight,
    );
    partitionGauge(
      'rxkafka_partition_lag',
      'Records between the finished prefix and the partition’s end at the last fetch.',
      (view) => view.context.lag,
    );
    partitionGauge(
      'rxkafka_partition_committed_offset',
      'The last committed offset (the next offset to read).',
      (view) =>
        view.context.committedOffset === undefined ? undefined : Number(view.context.committedOffset),
    );
    partitionGauge(
      'rxkafka_partition_oldest_in_flight_seconds',
      'How long the partition’s oldest record in flight has been in flight.',
      (view) => (view.context.oldestInFlightMs === undefined ? 0 : view.context.oldestInFlightMs / 1000),
    );
    const requestGauge = (name: string, help: string, read: (counts: RequestCounts) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['source'],
        registers: [registry],
        collect() {
          this.reset();
          for (const [source, counts] of requests()) this.set({ source }, read(counts));
        },
      });
    requestGauge('rxkafka_requests_pending', 'Requests waiting for replies.', (counts) => counts.pending);
    requestGauge(
      'rxkafka_requests_timed_out',
      'Requests that timed out, over the client’s life.',
      (counts) => counts.timedOut,
    );
    requestGauge(
      'rxkafka_requests_answered',
      'Requests answered (completed or with an error reply), over the client’s life.',
      (counts) => counts.answered,
    );
    const serverCounter = (name: string, help: string, read: (stats: ServerStats) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['source'],
        registers: [registry],
        collect() {
          // The server keeps the totals; the counter shows them as they are at each scrape.
          this.reset();
          for (const [source, stats] of servers()) this.inc({ source }, read(stats));
        },
      });
    serverCounter(
      'rxkafka_records_handled_total',
      'Records fully handled (offsets resolved for commit).',
      (stats) => stats.recordsFinished,
    );
    serverCounter(
      'rxkafka_handler_failures_total',
      'Handlers that failed for good: error replies sent, events skipped.',
      (stats) => stats.handlerFailures,
    );
    serverCounter(
      'rxkafka_dead_letters_total',
      'Records written to a dead-letter topic.',
      (stats) => stats.deadLetters,
    );
    serverCounter('rxkafka_replies_sent_total', 'Reply records produced.', (stats) => stats.repliesSent);
    new Counter({
      name: 'rxkafka_retries_forwarded_total',
      help: 'Records written to retry topics (retryTopics), by source topic and the attempt that failed.',
      labelNames: ['source', 'topic', 'attempt'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [source, stats] of servers()) {
          for (const { topic, attempt, forwarded } of stats.retries) {
            this.inc({ source, topic, attempt: String(attempt) }, forwarded);
          }
        }
      },
    });
    new Gauge({
      name: 'rxkafka_retry_waiting_records',
      help: 'Records waiting for their due time on a retry topic: from the head of each paused partition to its end at the last fetch.',
      labelNames: ['source', 'topic'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [source, stats] of servers()) {
          for (const { topic, waiting } of stats.retryWaiting) this.set({ source, topic }, waiting);
        }
      },
    });
    new Gauge({
      name: 'rxkafka_retry_oldest_due_timestamp_seconds',
      help: 'When the oldest record waiting on a retry topic is due, in Unix seconds; absent while none waits.',
      labelNames: ['source', 'topic'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [source, stats] of servers()) {
          for (const { topic, oldestDueAt } of stats.retryWaiting) {
            if (oldestDueAt !== undefined) this.set({ source, topic }, oldestDueAt / 1000);
          }
        }
      },
    });
    registry.registerMetric(this.#requestSeconds.asMetric());
  }

  /** Counts one top-level transition (or assignment change) of a source's connection actor. */
  countTransition(source: string, from: string, to: string): void {
    this.#transitions.inc({ source, from, to });
  }

  /** Records one request's duration. */
  observeRequest(source: string, outcome: 'answered' | 'timed-out', ms: number): void {
    this.#requestSeconds.observe(source, outcome, ms / 1000);
  }

  /** The metrics in Prometheus's text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** A client's request counts, as its summary gives them. */
export interface RequestCounts {
  readonly pending: number;
  readonly timedOut: number;
  readonly answered: number;
}

/**
 * Metrics for `sources` as `follower` follows them: transitions and request durations from the diagnostics
 * channels, for the sources' own connections. Returns them with the function that stops counting.
 */
export function attachMetrics(
  follower: SourceFollower,
  sources: readonly NamedSource[],
): { metrics: ActorMetrics; detach: () => void } {
  const metrics = new ActorMetrics(
    () => follower.connections(),
    () =>
      new Map(
        sources.flatMap(({ name, source }) =>
          source instanceof KafkaClient ? [[name, source.requests] as const] : [],
        ),
      ),
    () =>
      new Map(
        sources.flatMap(({ name, source }) =>
          source instanceof KafkaServer ? [[name, source.stats] as const] : [],
        ),
      ),
  );
  // The channels carry every connection of the process: only the sources' own are counted, by name. An
  // actor belongs to one source for its life, so its name is looked up once (a settled request is heard
  // once per request).
  const named = new WeakMap<object, string>();
  const sourceOf = (actor: unknown): string | undefined => {
    if (typeof actor !== 'object' || actor === null) return undefined;
    const known = named.get(actor);
    if (known !== undefined) return known;
    for (const { name, source } of sources) {
      for (const [connectionName, connection] of namedConnectionsOf(name, source)) {
        if (connection.actor !== actor) continue;
        named.set(actor, connectionName);
        return connectionName;
      }
    }
    return undefined;
  };
  const onTransition = (message: unknown): void => {
    const { actor, from, to } = message as ConnectionTransitionPayload;
    const source = from === undefined ? undefined : sourceOf(actor);
    if (source !== undefined && from !== undefined) metrics.countTransition(source, from, to);
  };
  const onSettled = (message: unknown): void => {
    const { actor, outcome, durationMs } = message as RequestSettledPayload;
    const source = sourceOf(actor);
    if (source !== undefined) metrics.observeRequest(source, outcome, durationMs);
  };
  subscribe(DIAGNOSTICS_CHANNELS.connectionTransition, onTransition);
  subscribe(DIAGNOSTICS_CHANNELS.requestSettled, onSettled);
  return {
    metrics,
    detach: () => {
      unsubscribe(DIAGNOSTICS_CHANNELS.connectionTransition, onTransition);
      unsubscribe(DIAGNOSTICS_CHANNELS.requestSettled, onSettled);
    },
  };
}
