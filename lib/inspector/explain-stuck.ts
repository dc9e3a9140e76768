/**
 * "Why is it stuck": for each partition whose committed offset has stood still past a threshold while it
 * has work, what holds it, from the actors' own facts (the partition actor's state, its progress, the
 * connection's state and last error) and, when a StuckWatch runs, the handler runs it heard of; for each
 * client, its oldest request waiting past the threshold.
 */
import { KafkaClient } from '../client/kafka-client';
import type { KafkaConnection } from '../connection/kafka-connection';
import { RxKafkaError } from '../errors';
import { RecordStream } from '../streams/record-stream';
import { nameSources, namedConnectionsOf, type InspectedObject, type NamedSource } from './inspector-source';
import type { StuckWatch, WatchedRun } from './stuck-watch';
import { toSentence, type StuckExplanation, type StuckReason } from './stuck-explanation';

/** A committed offset standing still this long, with work waiting, is stuck. */
export const DEFAULT_STUCK_THRESHOLD_MS = 30_000;

export interface ExplainStuckOptions {
  /** How long a committed offset (or a request) may stand still before it is explained. @defaultValue 30000 */
  readonly thresholdMs?: number;
  /** The clock (epoch milliseconds). @defaultValue Date.now */
  readonly now?: () => number;
  /** The handler runs heard so far: without one, a held partition is explained by its figures alone. */
  readonly watch?: StuckWatch;
}

/**
 * Explains every partition of `sources` whose committed offset has not moved for longer than
 * `thresholdMs` while records of it are in flight (a revoked one while it drains them), every consumer
 * connection unassigned for that long with no such partition, and every client whose oldest request has
 * waited that long.
 * @throws RxKafkaError RXK_INVALID_OPTIONS for a threshold that is not a non-negative number.
 */
export function explainStuck(
  sources: ReadonlyArray<InspectedObject | NamedSource>,
  options: ExplainStuckOptions = {},
): StuckExplanation[] {
  const thresholdMs = resolveStuckThresholdMs(options.thresholdMs, 'thresholdMs');
  const now = (options.now ?? Date.now)();
  const explained: StuckExplanation[] = [];
  for (const { name, source } of nameSources(sources)) {
    for (const [connectionName, connection] of namedConnectionsOf(name, source)) {
      const context = { name: connectionName, source, connection, now, thresholdMs, watch: options.watch };
      explained.push(...explainConnection(context));
    }
    if (source instanceof KafkaClient) {
      const request = explainRequest(name, source, now, thresholdMs);
      if (request) explained.push(request);
    }
  }
  return explained;
}

/**
 * `value`, or the default when undefined; `path` names the option in the error.
 * @throws RxKafkaError RXK_INVALID_OPTIONS for anything but a number of milliseconds, 0 or more.
 */
export function resolveStuckThresholdMs(value: number | undefined, path: string): number {
  const thresholdMs = value ?? DEFAULT_STUCK_THRESHOLD_MS;
  if (typeof thresholdMs !== 'number' || !(thresholdMs >= 0)) {
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      `${path} is ${String(thresholdMs)}: give how long a committed offset may stand still, in milliseconds, 0 or more`,
      { path },
    );
  }
  return thresholdMs;
}

interface ConnectionScope {
  readonly name: string;
  readonly source: InspectedObject;
  readonly connection: KafkaConnection;
  readonly now: number;
  readonly thresholdMs: number;
  readonly watch: StuckWatch | undefined;
}

function explainConnection(scope: ConnectionScope): StuckExplanation[] {
  const { name, connection, now, thresholdMs } = scope;
  const { clientId, producerOnly, lastError } = connection.actor.getSnapshot().context;
  if (producerOnly) return [];
  const explained = connection.partitions.flatMap((actor) => explainPartition(scope, clientId, actor));
  const state = connection.state;
  // Not connected yet (`idle`) or closed on purpose (`stopped`) is no one's stuck; a partition being
  // revoked says more than the rebalance around it.
  if (state === 'assigned' || state === 'idle' || state === 'stopped' || explained.length > 0) {
    return explained;
  }
  const stuckMs = now - connection.stateSince;
  if (stuckMs <= thresholdMs) return explained;
  const reason: StuckReason = {
    kind: 'not-assigned',
    state,
    ...(lastError === undefined ? {} : { lastError }),
  };
  return [
    { source: name, clientId, stuckMs, reason, sentence: toSentence(name, undefined, stuckMs, reason) },
  ];
}

function explainPartition(
  scope: ConnectionScope,
  clientId: string,
  { state, context }: KafkaConnection['partitions'][number],
): StuckExplanation[] {
  const { name, connection } = scope;
  const { topic, partition } = context;
  const progress = connection.progress.sample(topic, partition);
  const found =
    String(state) === 'paused'
      ? whyPaused(scope, context, progress.inFlight)
      : whyHeld(scope, String(state), topic, partition, progress);
  if (found === undefined) return [];
  const { stuckMs, reason } = found;
  const { committedOffset } = progress;
  return [
    {
      source: name,
      clientId,
      topic,
      partition,
      ...(committedOffset === undefined ? {} : { committedOffset }),
      stuckMs,
      reason,
      sentence: toSentence(name, { topic, partition, committedOffset }, stuckMs, reason),
    },
  ];
}

/** A partition an operator paused: stuck by decision, since the pause, in flight or not. */
function whyPaused(
  { now, thresholdMs }: ConnectionScope,
  { pausedBy, pausedAt }: KafkaConnection['partitions'][number]['context'],
  inFlight: number,
): { stuckMs: number; reason: StuckReason } | undefined {
  const since = pausedAt ?? now;
  const stuckMs = now - since;
  if (stuckMs <= thresholdMs) return undefined;
  return { stuckMs, reason: { kind: 'paused', by: pausedBy ?? 'an operator', pausedAt: since, inFlight } };
}

/** A partition whose records in flight have not let its committed offset move past the threshold. */
function whyHeld(
  scope: ConnectionScope,
  state: string,
  topic: string,
  partition: number,
  progress: ReturnType<KafkaConnection['progress']['sample']>,
): { stuckMs: number; reason: StuckReason } | undefined {
  const { connection, now, thresholdMs } = scope;
  // Nothing in flight is nothing held (a rebalance that hangs with nothing to drain is the connection's).
  if (progress.inFlight === 0 || progress.inFlightSince === undefined) return undefined;
  // Stuck since the later of its last commit and its oldest record in flight: a partition idle for an
  // hour that just received a record is not an hour stuck.
  const since = Math.max(
    connection.progress.committedAt(topic, partition) ?? -Infinity,
    progress.inFlightSince,
  );
  const stuckMs = now - since;
  if (stuckMs <= thresholdMs) return undefined;
  const reason: StuckReason =
    state === 'revoking'
      ? { kind: 'revoking', inFlight: progress.inFlight }
      : state === 'releasing'
        ? { kind: 'releasing', inFlight: progress.inFlight }
        : explainHeld(scope, topic, partition, progress.inFlight, progress.finishedOffset);
  return { stuckMs, reason };
}

/** What holds an assigned partition with records in flight. */
function explainHeld(
  { source, watch, now }: ConnectionScope,
  topic: string,
  partition: number,
  inFlight: number,
  finishedOffset: string | undefined,
): StuckReason {
  const runs = watch?.runsOn(topic, partition, finishedOffset) ?? [];
  const oldest = runs.slice().sort(byHoldingFirst)[0];
  if (oldest) return explainRun(oldest, now);
  if (source instanceof RecordStream)
    return { kind: 'backpressure', inFlight, bufferSize: source.bufferSize };
  return { kind: 'unexplained', inFlight };
}

/** The lowest offset holds the commits; among its handlers, one still running says more than one done. */
function byHoldingFirst(a: WatchedRun, b: WatchedRun): number {
  return (
    compareOffsets(a.offset, b.offset) ||
    Number(a.finishedAt !== undefined) - Number(b.finishedAt !== undefined)
  );
}

function explainRun(run: WatchedRun, now: number): StuckReason {
  const { handler, pattern, offset } = run;
  const key = run.key === undefined ? {} : { key: run.key };
  const traced = run.traceId === undefined ? {} : { traceId: run.traceId };
  if (run.finishedAt !== undefined && run.correlationId !== undefined) {
    return {
      kind: 'awaiting-acknowledgement',
      handler,
      pattern,
      offset,
      ...key,
      correlationId: run.correlationId,
      ...traced,
      waitingMs: now - run.finishedAt,
    };
  }
  if (run.retry) return { kind: 'retrying', handler, pattern, offset, ...key, ...traced, ...run.retry };
  return {
    kind: 'handler-running',
    handler,
    pattern,
    offset,
    ...key,
    ...(run.correlationId === undefined ? {} : { correlationId: run.correlationId }),
    ...traced,
    runningMs: now - run.startedAt,
  };
}

function explainRequest(
  name: string,
  client: KafkaClient,
  now: number,
  thresholdMs: number,
): StuckExplanation | undefined {
  const oldest = client.oldestRequest;
  // Aged by the caller's clock, as the partitions are.
  const ageMs = oldest === undefined ? 0 : now - oldest.since;
  if (!oldest || ageMs <= thresholdMs) return undefined;
  let clientId: string;
  try {
    clientId = client.connection.actor.getSnapshot().context.clientId;
  } catch {
    return undefined;
  }
  const { pattern, correlationId, traceId, replyTopic, replyPartition } = oldest;
  const reason: StuckReason = {
    kind: 'request-pending',
    pattern,
    correlationId,
    ...(traceId === undefined ? {} : { traceId }),
    ageMs,
    replyTopic,
    ...(replyPartition === undefined ? {} : { replyPartition }),
  };
  return {
    source: name,
    clientId,
    stuckMs: ageMs,
    reason,
    sentence: toSentence(name, undefined, ageMs, reason),
  };
}

function compareOffsets(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}
