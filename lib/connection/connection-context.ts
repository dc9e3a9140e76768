/**
 * What the connection machine remembers and starts from, and the rules about its counters (connect
 * attempts, the reconnect backoff, which connect failures are not worth another attempt).
 */
import type { ConnectionError, DrainMode } from './connection-events';

/** What the connection machine remembers. */
export interface ConnectionContext {
  readonly clientId: string;
  readonly groupId?: string;
  readonly producerOnly: boolean;
  /** The driver may report the group join after connectKafka resolved (see DriverCapabilities). */
  readonly joinsAfterConsume: boolean;
  /** topic → partitions this member consumes; `{}` whenever no assignment is being served. */
  readonly assignment: Readonly<Record<string, readonly number[]>>;
  readonly memberId?: string;
  /**
   * The group generation this member is in, once the driver reported it: with kafkajs, from the first
   * heartbeat or commit after a join (its join event lacks it), so absent for a few seconds after each join.
   */
  readonly generationId?: number;
  /** The most recent failure (connect, crash or drain); kept after recovery for inspection. */
  readonly lastError?: ConnectionError;
  /** Connect attempts since the connection was last ready (or since the user's connect()). */
  readonly connectAttempts: number;
  readonly maxConnectAttempts: number;
  /** How long a connect() waits for the connection to be ready before no new attempt starts; 0: no limit. */
  readonly connectTimeoutMs: number;
  /** True once the current connect() passed `connectTimeoutMs` without being ready; reset by connect(). */
  readonly connectTimedOut: boolean;
  /** Crashes over the actor's whole life; never reset. */
  readonly crashes: number;
  /** True once the connection was `connected` or `assigned`; never reset. */
  readonly everReady: boolean;
  /** How the current (or last) close() treats in-flight records; 'abandon' once a drain gave up waiting. */
  readonly drainMode?: DrainMode;
  /** The current (or last) close()'s deadline for finishing in-flight records; absent: no deadline. */
  readonly drainDeadlineMs?: number;
  /** True when the current (or last) close() passed its deadline and abandoned what was left. */
  readonly drainTimedOut: boolean;
}

/** What the machine is started with; the adapter passes already-resolved options. */
export interface ConnectionInput {
  readonly clientId: string;
  readonly groupId?: string;
  /** @defaultValue false */
  readonly producerOnly?: boolean;
  /**
   * The driver may report its group join after connectKafka resolved (`DriverCapabilities`); kafkajs does
   * not. @defaultValue true (the machine then waits for a join in `connecting.joining`)
   */
  readonly joinsAfterConsume?: boolean;
  /** Connect attempts before `failed`; `Infinity` retries forever. @defaultValue 5 */
  readonly maxConnectAttempts?: number;
  /**
   * From the user's connect() until the connection is ready: once it passed, no new connect attempt starts
   * (one waiting for its backoff fails at once); 0: only `maxConnectAttempts` limits. @defaultValue 10000
   */
  readonly connectTimeoutMs?: number;
}

/** The top-level states of the connection machine. */
export type ConnectionStateValue =
  | 'idle'
  | 'connecting'
  | 'connected'
  | 'assigned'
  | 'rebalancing'
  | 'reconnecting'
  | 'draining'
  | 'stopped'
  | 'failed';

/** Connect attempts allowed when the input does not say. */
export const DEFAULT_MAX_CONNECT_ATTEMPTS = 5;

/** How long a connect() may go on starting attempts when the input does not say. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

const RECONNECT_BACKOFF_BASE_MS = 250;
const RECONNECT_BACKOFF_MAX_MS = 10_000;

/** The wait before the next connect attempt: 250 ms · 2^attempts, at most 10 s. */
export function computeReconnectBackoffMs(connectAttempts: number): number {
  return Math.min(RECONNECT_BACKOFF_BASE_MS * 2 ** connectAttempts, RECONNECT_BACKOFF_MAX_MS);
}

export const EMPTY_ASSIGNMENT: Readonly<Record<string, readonly number[]>> = Object.freeze({});

export function createInitialContext({ input }: { input: ConnectionInput }): ConnectionContext {
  return {
    clientId: input.clientId,
    ...(input.groupId === undefined ? {} : { groupId: input.groupId }),
    producerOnly: input.producerOnly ?? false,
    joinsAfterConsume: input.joinsAfterConsume ?? true,
    assignment: EMPTY_ASSIGNMENT,
    connectAttempts: 0,
    maxConnectAttempts: input.maxConnectAttempts ?? DEFAULT_MAX_CONNECT_ATTEMPTS,
    connectTimeoutMs: input.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    connectTimedOut: false,
    crashes: 0,
    everReady: false,
    drainTimedOut: false,
  };
}

/**
 * The codes of connect failures that point at the configuration (see lib/kafka/connect-failure.ts and
 * authorization-failure.ts).
 */
const CONFIGURATION_FAILURES: ReadonlySet<string> = new Set([
  'RXK_AUTHENTICATION_FAILED',
  'RXK_TLS_FAILED',
  'RXK_NOT_AUTHORIZED',
  'RXK_TOPIC_NOT_FOUND',
]);

/**
 * A connect failure not worth another attempt: a sure one (a refused login, a rejected certificate) always,
 * since each attempt would fail the same way and repeated SASL failures can lock an account; a likely or
 * retriable one (the broker closing every connection, a topic that does not exist yet) only while this
 * connection has never been ready. After that, the same symptom is more likely a broker restarting or a
 * topic being re-created, and giving up would leave a running service silent.
 */
export function isConfigurationFailure(context: ConnectionContext, error: ConnectionError): boolean {
  if (!error.code || !CONFIGURATION_FAILURES.has(error.code)) return false;
  return error.retriable === false || !context.everReady;
}
