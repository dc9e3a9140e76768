/**
 * The events the connection machine understands. The machine's `listenToKafka` actor turns the driver's
 * events (a join, a rebalance, a crash, a lost producer) into these, and KafkaConnection turns the user's
 * connect()/close() calls into them; the machine never sees a library object, so every payload here is
 * plain, serializable data.
 */

import { RxKafkaError, type RxKafkaErrorCode } from '../errors';

/** How close() treats records already handed to handlers: finish them, or drop them unprocessed. */
export type DrainMode = 'drain' | 'abandon';

/** An error reduced to what survives `JSON.stringify` (inspection streams and snapshots show it). */
export interface ConnectionError {
  readonly name: string;
  readonly message: string;
  /** rxkafka's code, for an `RxKafkaError` (for example `RXK_AUTHENTICATION_FAILED`). */
  readonly code?: RxKafkaErrorCode;
  /** For an `RxKafkaError`: false when trying again cannot help until the configuration changes. */
  readonly retriable?: boolean;
}

/** The user asks to connect (first connect, or again after close() or a failure). */
export interface ConnectEvent {
  readonly type: 'kafka.connect';
}

/** The driver's group join (kafkajs GROUP_JOIN): this member joined (or re-joined) the group and holds `assignment`. */
export interface GroupJoinedEvent {
  readonly type: 'kafka.group.joined';
  readonly assignment: Readonly<Record<string, readonly number[]>>;
  readonly memberId: string;
  /**
   * kafkajs 2.2.4 does not put the generation in GROUP_JOIN (a `kafka.group.generation` brings it soon
   * after); an adapter that knows it passes it here.
   */
  readonly generationId?: number;
}

/**
 * The member's group generation, reported apart from its join (kafkajs: by each heartbeat and commit, since
 * its GROUP_JOIN lacks it).
 */
export interface GroupGenerationEvent {
  readonly type: 'kafka.group.generation';
  readonly memberId: string;
  readonly generationId: number;
}

/** The driver's rebalance (kafkajs REBALANCING): the group is rebalancing; the current assignment is being revoked. */
export interface RebalanceStartedEvent {
  readonly type: 'kafka.rebalance.started';
}

/**
 * KIP-848 (`groupProtocol: 'consumer'`): the broker gave this member `partitions` besides those it keeps; no
 * rebalance stops the others.
 */
export interface PartitionsAssignedEvent {
  readonly type: 'kafka.partitions.assigned';
  readonly partitions: Readonly<Record<string, readonly number[]>>;
}

/**
 * KIP-848: the broker took `partitions` from this member, which keeps the others: their records in flight
 * finish and are committed, then their actors are released (`partition.released`).
 */
export interface PartitionsRevokedEvent {
  readonly type: 'kafka.partitions.revoked';
  readonly partitions: Readonly<Record<string, readonly number[]>>;
}

/**
 * A partition actor's own word to its connection: the partition was taken away while the connection stays
 * assigned, and none of its records is in flight any more.
 */
export interface PartitionReleasedEvent {
  readonly type: 'partition.released';
  readonly topic: string;
  readonly partition: number;
}

/** The consumer crashed (kafkajs CRASH). `restart` is the library's own decision to restart it after its retry time. */
export interface CrashedEvent {
  readonly type: 'kafka.crashed';
  readonly error: ConnectionError;
  readonly restart: boolean;
}

/**
 * A send failed because the producer lost its brokers (the driver tells a lost connection from a refused
 * record). Only a producer-only connection acts on it: with a consumer, the consumer's crash says more.
 */
export interface ProducerLostEvent {
  readonly type: 'kafka.producer.lost';
  readonly error: ConnectionError;
}

/**
 * The connect timeout passed (the machine raises it itself, `connectTimeoutMs` after the user's connect(), and
 * cancels it once ready): no new connect attempt is started, and one waiting for its backoff fails.
 */
export interface ConnectTimeoutEvent {
  readonly type: 'kafka.connect.timeout';
}

/** The user calls close(). */
export interface DrainEvent {
  readonly type: 'kafka.drain';
  readonly mode: DrainMode;
  /** For 'drain': how long to wait for in-flight records before abandoning them; absent or 0 waits forever. */
  readonly deadlineMs?: number;
}

/**
 * An operator's command to stop fetching one partition of this member until resumed, or to fetch it again
 * (KafkaConnection.command, the inspector's commands). `by` names who asked and `at` is when (epoch
 * milliseconds): both stay in the partition actor's context and in the event log.
 */
export interface OperatorPartitionEvent {
  readonly type: 'operator.pause' | 'operator.resume';
  readonly topic: string;
  readonly partition: number;
  readonly by: string;
  readonly at: number;
}

/** Every event the connection machine accepts. */
export type ConnectionEvent =
  | ConnectEvent
  | ConnectTimeoutEvent
  | GroupJoinedEvent
  | GroupGenerationEvent
  | RebalanceStartedEvent
  | PartitionsAssignedEvent
  | PartitionsRevokedEvent
  | PartitionReleasedEvent
  | CrashedEvent
  | ProducerLostEvent
  | DrainEvent
  | OperatorPartitionEvent;

/** Reduces anything thrown to `{ name, message }` (and an RxKafkaError's code); never throws. */
export function toConnectionError(error: unknown): ConnectionError {
  if (RxKafkaError.isRxKafkaError(error)) {
    return { name: error.name, message: error.message, code: error.code, retriable: error.retriable };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  if (typeof error === 'object' && error !== null) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return {
      name: typeof name === 'string' ? name : 'Error',
      message: typeof message === 'string' ? message : describeValue(error),
    };
  }
  return { name: 'Error', message: describeValue(error) };
}

/** A `kafka.connect` event. */
export function createConnectEvent(): ConnectEvent {
  return { type: 'kafka.connect' };
}

/** A `kafka.group.joined` event; copies the assignment so later changes to kafkajs's object do not leak in. */
export function createGroupJoinedEvent(join: {
  assignment: Readonly<Record<string, readonly number[]>>;
  memberId: string;
  generationId?: number;
}): GroupJoinedEvent {
  const assignment = copyAssignment(join.assignment);
  return join.generationId === undefined
    ? { type: 'kafka.group.joined', assignment, memberId: join.memberId }
    : { type: 'kafka.group.joined', assignment, memberId: join.memberId, generationId: join.generationId };
}

/** A `kafka.group.generation` event. */
export function createGroupGenerationEvent(memberId: string, generationId: number): GroupGenerationEvent {
  return { type: 'kafka.group.generation', memberId, generationId };
}

/** A `kafka.rebalance.started` event. */
export function createRebalanceStartedEvent(): RebalanceStartedEvent {
  return { type: 'kafka.rebalance.started' };
}

/** A `kafka.partitions.assigned` event; copies the partitions. */
export function createPartitionsAssignedEvent(
  partitions: Readonly<Record<string, readonly number[]>>,
): PartitionsAssignedEvent {
  return { type: 'kafka.partitions.assigned', partitions: copyAssignment(partitions) };
}

/** A `kafka.partitions.revoked` event; copies the partitions. */
export function createPartitionsRevokedEvent(
  partitions: Readonly<Record<string, readonly number[]>>,
): PartitionsRevokedEvent {
  return { type: 'kafka.partitions.revoked', partitions: copyAssignment(partitions) };
}

/** A `kafka.crashed` event from kafkajs's CRASH payload (`error` may be anything kafkajs threw). */
export function createCrashedEvent(error: unknown, restart: boolean): CrashedEvent {
  return { type: 'kafka.crashed', error: toConnectionError(error), restart };
}

/** A `kafka.producer.lost` event (`error` may be anything the library threw). */
export function createProducerLostEvent(error: unknown): ProducerLostEvent {
  return { type: 'kafka.producer.lost', error: toConnectionError(error) };
}

/** A `kafka.drain` event; `mode` defaults to finishing in-flight records, with no deadline. */
export function createDrainEvent(mode: DrainMode = 'drain', deadlineMs?: number): DrainEvent {
  return deadlineMs === undefined ? { type: 'kafka.drain', mode } : { type: 'kafka.drain', mode, deadlineMs };
}

/** A frozen deep copy of an assignment (topic → partitions). */
export function copyAssignment(
  assignment: Readonly<Record<string, readonly number[]>>,
): Readonly<Record<string, readonly number[]>> {
  return Object.freeze(
    Object.fromEntries(
      Object.entries(assignment).map(([topic, partitions]) => [topic, Object.freeze([...partitions])]),
    ),
  );
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
