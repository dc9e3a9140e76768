/**
 * What the inspector reads from a server, a client or a bare connection, and how it follows one: every
 * edge its connection actor takes, as it happens, and its partition actors', requests' and retry topics'
 * figures once a second, only when they changed. A server's connection exists only after listen(), so the source is
 * looked for until it appears.
 */
import type { Subscription } from 'rxjs';
import { KafkaClient } from '../client/kafka-client';
import { observeEdges, type TakenEdge } from '../connection/inspection';
import { KafkaConnection } from '../connection/kafka-connection';
import type { PartitionContext } from '../connection/partition-machine';
import { KafkaServer } from '../server/kafka-server';
import { RecordStream } from '../streams/record-stream';
import type { ActorHistory } from './actor-history';
import type { KafkaFacts, PartitionsEntry } from './inspector-entry';

/**
 * Something the inspector shows: a KafkaServer, a KafkaClient, a KafkaConnection or a `consume()` stream
 * (the connection of its live subscription), with a name.
 */
export type InspectedObject = KafkaServer | KafkaClient | KafkaConnection | RecordStream<unknown>;

export interface NamedSource {
  readonly name: string;
  readonly source: InspectedObject;
}

const FIGURES_EVERY_MS = 1_000;

/** Follows `sources` into `history` until stopped; `member` names this process in a fleet. */
export class SourceFollower {
  readonly #history: ActorHistory;
  readonly #member: string;
  readonly #sources: readonly NamedSource[];
  readonly #followed = new Map<string, { connection: KafkaConnection; subscription: Subscription }>();
  readonly #lastFigures = new Map<string, string>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(history: ActorHistory, member: string, sources: readonly NamedSource[]) {
    this.#history = history;
    this.#member = member;
    this.#sources = sources;
  }

  start(): void {
    this.poll();
    this.#timer = setInterval(() => this.poll(), FIGURES_EVERY_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const { subscription } of this.#followed.values()) subscription.unsubscribe();
    this.#followed.clear();
  }

  /** The connections followed now, by source name. */
  connections(): ReadonlyMap<string, KafkaConnection> {
    return new Map([...this.#followed].map(([name, { connection }]) => [name, connection]));
  }

  /** Looks for connections not followed yet, and records figures that changed. */
  poll(): void {
    const at = Date.now();
    for (const { name: sourceName, source } of this.#sources) {
      for (const [name, connection] of namedConnectionsOf(sourceName, source)) {
        const followed = this.#followed.get(name);
        if (followed?.connection !== connection) {
          followed?.subscription.unsubscribe();
          this.#follow(name, source, connection);
        }
        this.#recordFigures(name, source, connection, at);
      }
    }
  }

  #follow(name: string, source: InspectedObject, connection: KafkaConnection): void {
    const snapshot = connection.actor.getSnapshot();
    const context = snapshot.context;
    this.#history.add({
      kind: 'source',
      at: Date.now(),
      member: this.#member,
      source: name,
      role:
        source instanceof KafkaServer ? 'server' : source instanceof KafkaClient ? 'client' : 'connection',
      state: leafPath(snapshot.value),
      clientId: context.clientId,
      ...(context.groupId === undefined || context.producerOnly ? {} : { groupId: context.groupId }),
      facts: factsOf(connection),
    });
    // An edge is seen while xstate computes the transition, before its actions ran (the partition actors
    // are told of a rebalance by those actions). So the edges of one step are written once it is done,
    // the last one with the partition actors as the step left them: a page scrubbed to it shows them so.
    let step: TakenEdge[] = [];
    const writeStep = (): void => {
      const edges = step;
      step = [];
      const partitions = partitionsOf(connection);
      const changed = this.#changed(`${name}/partitions`, partitions);
      edges.forEach((edge, index) =>
        this.#history.add({
          kind: 'edge',
          at: edge.at,
          member: this.#member,
          source: name,
          from: edge.from,
          event: edge.event,
          to: edge.to,
          facts: factsOf(connection),
          ...(changed && index === edges.length - 1 ? { partitions } : {}),
        }),
      );
    };
    const subscription = observeEdges(connection.actor).subscribe((edge) => {
      if (step.push(edge) === 1) queueMicrotask(writeStep);
    });
    subscription.add(this.#followOperatorEdges(name, connection));
    this.#followed.set(name, { connection, subscription });
  }

  /**
   * The partition actors' edges an operator's command caused: not edges of the connection's chart, but
   * each one is in the log and the time travel as they are. Returns how to stop.
   */
  #followOperatorEdges(name: string, connection: KafkaConnection): () => void {
    const before = new Map<unknown, string>();
    const inspection = connection.actor.system.inspect((inspected) => {
      if (inspected.type !== '@xstate.event' && inspected.type !== '@xstate.snapshot') return;
      if (inspected.actorRef === connection.actor || !isOperatorEvent(inspected.event)) return;
      const state = String((inspected.actorRef.getSnapshot() as { value?: unknown }).value);
      if (inspected.type === '@xstate.event') before.set(inspected.actorRef, state);
      if (inspected.type !== '@xstate.snapshot') return;
      const from = before.get(inspected.actorRef);
      before.delete(inspected.actorRef);
      const { topic, partition } = (inspected.actorRef.getSnapshot() as { context: PartitionContext })
        .context;
      const partitions = partitionsOf(connection);
      this.#changed(`${name}/partitions`, partitions);
      this.#history.add({
        kind: 'partition-edge',
        at: Date.now(),
        member: this.#member,
        source: name,
        topic,
        partition,
        from: from ?? state,
        event: inspected.event.type,
        to: state,
        by: inspected.event.by,
        partitions,
      });
    });
    return () => inspection.unsubscribe();
  }

  #recordFigures(name: string, source: InspectedObject, connection: KafkaConnection, at: number): void {
    const partitions = partitionsOf(connection);
    if (this.#changed(`${name}/partitions`, partitions)) {
      this.#history.add({ kind: 'partitions', at, member: this.#member, source: name, partitions });
    }
    // A server's own connection carries its retry figures; its exactly-once member's has none.
    if (source instanceof KafkaServer && connection === source.connection) {
      this.#recordRetries(name, source, at);
    }
    if (source instanceof KafkaClient) {
      const requests = source.requests;
      const replyPartitions = source.getConsumerAssignments();
      // The oldest wait grows by itself: only a change of what is pending, or of a count, is news.
      const { oldestMs: _oldestMs, ...counts } = requests;
      if (this.#changed(`${name}/requests`, { counts, replyPartitions })) {
        this.#history.add({
          kind: 'requests',
          at,
          member: this.#member,
          source: name,
          requests,
          replyPartitions,
        });
      }
    }
  }

  /** A server's retry figures, when it has retry topics and they changed. */
  #recordRetries(name: string, server: KafkaServer, at: number): void {
    const { retries, retryWaiting: waiting } = server.stats;
    if (retries.length === 0 && waiting.length === 0) return;
    if (!this.#changed(`${name}/retries`, { retries, waiting })) return;
    this.#history.add({ kind: 'retries', at, member: this.#member, source: name, retries, waiting });
  }

  /** True (and remembered) when `value` differs from what was last recorded under `key`. */
  #changed(key: string, value: unknown): boolean {
    const text = JSON.stringify(value);
    if (this.#lastFigures.get(key) === text) return false;
    this.#lastFigures.set(key, text);
    return true;
  }
}

/** The partition actors of a connection now, as entries carry them. */
function partitionsOf(connection: KafkaConnection): PartitionsEntry['partitions'] {
  return connection.partitions.map(({ id, state, context }) => ({
    id,
    state: String(state),
    topic: context.topic,
    partition: context.partition,
    inFlight: context.inFlight,
    ...(context.finishedOffset === undefined ? {} : { finishedOffset: context.finishedOffset }),
    ...(context.committedOffset === undefined ? {} : { committedOffset: context.committedOffset }),
    ...(context.highWatermark === undefined ? {} : { highWatermark: context.highWatermark }),
    ...(context.lag === undefined ? {} : { lag: context.lag }),
    ...(context.oldestInFlightMs === undefined ? {} : { oldestInFlightMs: context.oldestInFlightMs }),
    ...(context.lastError === undefined ? {} : { lastError: context.lastError }),
  }));
}

/** The Kafka facts of a connection now. */
function factsOf(connection: KafkaConnection): KafkaFacts {
  const { assignment, memberId, generationId, lastError } = connection.actor.getSnapshot().context;
  return {
    assignment,
    ...(memberId === undefined ? {} : { memberId }),
    ...(generationId === undefined ? {} : { generationId }),
    ...(lastError === undefined ? {} : { lastError }),
  };
}

/**
 * The connections to follow for a source, by name: its connection under its own name, and a server's
 * exactly-once member (`@EventPattern(topic, { exactlyOnce: true })` handlers) under `${name}.exactly-once`.
 */
export function namedConnectionsOf(name: string, source: InspectedObject): Array<[string, KafkaConnection]> {
  const connection = connectionOf(source);
  if (!connection) return [];
  const named: Array<[string, KafkaConnection]> = [[name, connection]];
  if (source instanceof KafkaServer) {
    const exactlyOnce = source.connections.find((other) => other !== connection);
    if (exactlyOnce) named.push([`${name}.exactly-once`, exactlyOnce]);
  }
  return named;
}

/** The connection of a server or client, once it has one. */
export function connectionOf(source: InspectedObject): KafkaConnection | undefined {
  if (source instanceof KafkaConnection) return source;
  try {
    return source.connection;
  } catch {
    return undefined;
  }
}

/** A snapshot value as the dotted path of its deepest state (`{ connecting: 'starting' }` → `connecting.starting`). */
export function leafPath(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const [key] = Object.keys(value);
    if (key === undefined) return '';
    const inner = leafPath((value as Record<string, unknown>)[key]);
    return inner ? `${key}.${inner}` : key;
  }
  return '';
}

/** Names unnamed sources by role and position: `server`, `server-2`, `client`, … */
export function nameSources(sources: ReadonlyArray<InspectedObject | NamedSource>): NamedSource[] {
  const used = new Map<string, number>();
  return sources.map((item) => {
    if ('source' in item && 'name' in item) return item as NamedSource;
    const role =
      item instanceof KafkaClient
        ? 'client'
        : item instanceof RecordStream
          ? 'stream'
          : 'connection' in item
            ? 'server'
            : 'connection';
    const count = (used.get(role) ?? 0) + 1;
    used.set(role, count);
    return { name: count === 1 ? role : `${role}-${count}`, source: item as InspectedObject };
  });
}

/** An operator's command as its partition actor hears it. */
function isOperatorEvent(event: unknown): event is { type: string; by: string } {
  const type = (event as { type?: unknown } | undefined)?.type;
  return type === 'operator.pause' || type === 'operator.resume';
}
