/**
 * The connection actor's state machine: what a Kafka connection is doing and what it does next, with no I/O.
 *
 * The two I/O steps are placeholder actors that the kafkajs adapter binds with
 * `connectionMachine.provide({ actors: { connectKafka, drainKafka } })`:
 * - `connectKafka` (input: the context) connects the producer and, unless producer-only, connects, subscribes
 *   and runs the consumer. It resolves when kafkajs's calls return; the group join arrives as an event.
 * - `drainKafka` (input: the context, `drainMode` set) stops fetching, finishes or abandons in-flight records,
 *   commits and disconnects.
 * The adapter may also replace the `reconnectBackoff` delay through `provide({ delays })`.
 *
 * kafkajs order worth knowing (consumer/index.js `onCrash`): on a crash kafkajs first disconnects, emitting
 * STOP and DISCONNECT, and only then CRASH with its `restart` decision. So a connection that lost its group
 * moves to `reconnecting` on the first of those events, and the CRASH that follows decides between our own
 * reconnect (`reconnecting.backoff`), kafkajs's restart (`reconnecting.restarting`) and `failed`.
 */
import { assign, fromPromise, setup, type SnapshotFrom, type StateValue } from 'xstate';
import { RxKafkaError } from '../errors';
import {
  copyAssignment,
  toConnectionError,
  type ConnectionError,
  type ConnectionEvent,
  type DrainMode,
} from './connection-events';

/** What the connection machine remembers. */
export interface ConnectionContext {
  readonly clientId: string;
  readonly groupId?: string;
  readonly producerOnly: boolean;
  /** topic → partitions this member consumes; `{}` whenever no assignment is being served. */
  readonly assignment: Readonly<Record<string, readonly number[]>>;
  readonly memberId?: string;
  readonly generationId?: number;
  /** The most recent failure (connect, crash or drain); kept after recovery for inspection. */
  readonly lastError?: ConnectionError;
  /** Connect attempts since the connection was last ready (or since the user's connect()). */
  readonly connectAttempts: number;
  readonly maxConnectAttempts: number;
  /** Crashes over the actor's whole life; never reset. */
  readonly crashes: number;
  /** True once the connection was `connected` or `assigned`; never reset. */
  readonly everReady: boolean;
  readonly drainMode?: DrainMode;
}

/** What the machine is started with; the adapter passes already-resolved options. */
export interface ConnectionInput {
  readonly clientId: string;
  readonly groupId?: string;
  /** @defaultValue false */
  readonly producerOnly?: boolean;
  /** Connect attempts before `failed`; `Infinity` retries forever. @defaultValue 5 */
  readonly maxConnectAttempts?: number;
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

const RECONNECT_BACKOFF_BASE_MS = 250;
const RECONNECT_BACKOFF_MAX_MS = 10_000;

/** The wait before the next connect attempt: 250 ms · 2^attempts, at most 10 s. */
export function computeReconnectBackoffMs(connectAttempts: number): number {
  return Math.min(RECONNECT_BACKOFF_BASE_MS * 2 ** connectAttempts, RECONNECT_BACKOFF_MAX_MS);
}

const EMPTY_ASSIGNMENT: Readonly<Record<string, readonly number[]>> = Object.freeze({});

function createInitialContext({ input }: { input: ConnectionInput }): ConnectionContext {
  return {
    clientId: input.clientId,
    ...(input.groupId === undefined ? {} : { groupId: input.groupId }),
    producerOnly: input.producerOnly ?? false,
    assignment: EMPTY_ASSIGNMENT,
    connectAttempts: 0,
    maxConnectAttempts: input.maxConnectAttempts ?? DEFAULT_MAX_CONNECT_ATTEMPTS,
    crashes: 0,
    everReady: false,
  };
}

// Both I/O actors get the whole context: the adapter needs clientId/groupId/producerOnly to connect and
// drainMode to drain, and the context is plain data.
function toActorInput({ context }: { context: ConnectionContext }): ConnectionContext {
  return context;
}

// Invoke onError events are not part of ConnectionEvent, but carry `error` like `kafka.crashed` does.
function readEventError(event: object): ConnectionError {
  return toConnectionError('error' in event ? event.error : event);
}

/** The codes of connect failures that point at the configuration (see connect-failure.ts). */
const CONFIGURATION_FAILURES: ReadonlySet<string> = new Set(['RXK_AUTHENTICATION_FAILED', 'RXK_TLS_FAILED']);

/**
 * A connect failure not worth another attempt: a sure one (a refused login, a rejected certificate) always,
 * since each attempt would fail the same way and repeated SASL failures can lock an account; a likely one
 * (the broker closing every connection) only while this connection has never been ready. After that, the
 * same symptom is more likely a broker restarting, and giving up would leave a running service silent.
 */
function isConfigurationFailure(context: ConnectionContext, error: ConnectionError): boolean {
  if (!error.code || !CONFIGURATION_FAILURES.has(error.code)) return false;
  return error.retriable === false || !context.everReady;
}

function createUnboundActor(name: string) {
  return fromPromise<void, ConnectionContext>(() =>
    Promise.reject(
      new RxKafkaError(
        'RXK_ACTOR_NOT_PROVIDED',
        `the connection machine's ${name} actor is not bound: use KafkaConnection, or pass ` +
          `connectionMachine.provide({ actors: { ${name}: fromPromise(...) } })`,
      ),
    ),
  );
}

const crashTransitions = [
  {
    guard: 'isRestartedByKafka',
    target: '#connection.reconnecting.restarting',
    actions: ['countCrash', 'recordError'],
  },
  { target: '#connection.failed', actions: ['countCrash', 'recordError'] },
] as const;

const drainTransition = { target: '#connection.draining', actions: 'storeDrainMode' } as const;

const connectionLostTransition = { target: '#connection.reconnecting' } as const;

/**
 * The connection machine. Start it with `createActor(connectionMachine.provide({...}), { input })`; an
 * unbound I/O actor fails with `RXK_ACTOR_NOT_PROVIDED`, which the machine records as `lastError`.
 */
export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
    tags: {} as 'ready',
  },
  actors: {
    connectKafka: createUnboundActor('connectKafka'),
    drainKafka: createUnboundActor('drainKafka'),
  },
  guards: {
    isProducerOnly: ({ context }) => context.producerOnly,
    hasJoinedGroup: ({ context }) => context.memberId !== undefined,
    canRetryConnect: ({ context, event }) =>
      context.connectAttempts < context.maxConnectAttempts &&
      !isConfigurationFailure(context, readEventError(event)),
    isRestartedByKafka: ({ event }) => event.type === 'kafka.crashed' && event.restart,
  },
  actions: {
    countConnectAttempt: assign({ connectAttempts: ({ context }) => context.connectAttempts + 1 }),
    resetConnectAttempts: assign({ connectAttempts: 0 }),
    markReady: assign({ connectAttempts: 0, everReady: true }),
    countCrash: assign({ crashes: ({ context }) => context.crashes + 1 }),
    recordError: assign({ lastError: ({ event }) => readEventError(event) }),
    storeAssignment: assign(({ event }) => {
      if (event.type !== 'kafka.group.joined') return {};
      return {
        assignment: copyAssignment(event.assignment),
        memberId: event.memberId,
        generationId: event.generationId,
      };
    }),
    clearAssignment: assign({ assignment: EMPTY_ASSIGNMENT }),
    clearMembership: assign({ assignment: EMPTY_ASSIGNMENT, memberId: undefined, generationId: undefined }),
    storeDrainMode: assign({
      drainMode: ({ event }) => (event.type === 'kafka.drain' ? event.mode : 'drain'),
    }),
    clearDrainMode: assign({ drainMode: undefined }),
  },
  delays: {
    reconnectBackoff: ({ context }) => computeReconnectBackoffMs(context.connectAttempts),
  },
}).createMachine({
  id: 'connection',
  context: createInitialContext,
  initial: 'idle',
  states: {
    idle: {
      description: 'Created, never connected.',
      on: {
        'kafka.connect': { target: 'connecting' },
        'kafka.drain': { target: 'stopped' },
      },
    },
    connecting: {
      description:
        'One connect attempt: connectKafka runs, then a consumer waits for its first group join. kafkajs ' +
        'emits GROUP_JOIN inside consumer.run(), so the join may arrive before connectKafka resolves.',
      entry: ['countConnectAttempt', 'clearMembership'],
      initial: 'starting',
      states: {
        starting: {
          invoke: {
            id: 'connectKafka',
            src: 'connectKafka',
            input: toActorInput,
            onDone: [
              { guard: 'isProducerOnly', target: '#connection.connected' },
              { guard: 'hasJoinedGroup', target: '#connection.assigned' },
              { target: 'joining' },
            ],
            onError: [
              { guard: 'canRetryConnect', target: '#connection.reconnecting', actions: 'recordError' },
              { target: '#connection.failed', actions: 'recordError' },
            ],
          },
          on: {
            'kafka.group.joined': { actions: 'storeAssignment' },
            'kafka.rebalance.started': { actions: 'clearMembership' },
          },
        },
        joining: {
          on: {
            'kafka.group.joined': { target: '#connection.assigned', actions: 'storeAssignment' },
          },
        },
      },
      on: {
        'kafka.crashed': crashTransitions,
        'kafka.disconnected': connectionLostTransition,
        'kafka.stopped': connectionLostTransition,
        'kafka.drain': drainTransition,
      },
    },
    connected: {
      description: 'A producer-only connection is up; it never joins a group, so it has no assignment.',
      tags: 'ready',
      entry: 'markReady',
      on: {
        // A producer has nothing kafkajs would restart, so every loss is ours to reconnect.
        'kafka.crashed': { target: 'reconnecting', actions: ['countCrash', 'recordError'] },
        'kafka.disconnected': connectionLostTransition,
        'kafka.drain': drainTransition,
      },
    },
    assigned: {
      description: 'The consumer is in the group and consumes its assignment.',
      tags: 'ready',
      entry: 'markReady',
      on: {
        // A join while assigned is a new generation: re-enter so the transition is visible.
        'kafka.group.joined': { target: 'assigned', reenter: true, actions: 'storeAssignment' },
        'kafka.rebalance.started': { target: 'rebalancing' },
        'kafka.crashed': crashTransitions,
        'kafka.disconnected': connectionLostTransition,
        'kafka.stopped': connectionLostTransition,
        'kafka.drain': drainTransition,
      },
    },
    rebalancing: {
      description:
        'The group is rebalancing. The assignment is cleared, not kept as stale: records of partitions ' +
        'being revoked must not be processed, and the next join says which partitions are ours.',
      entry: 'clearAssignment',
      on: {
        'kafka.group.joined': { target: 'assigned', actions: 'storeAssignment' },
        'kafka.crashed': crashTransitions,
        'kafka.disconnected': connectionLostTransition,
        'kafka.stopped': connectionLostTransition,
        'kafka.drain': drainTransition,
      },
    },
    reconnecting: {
      description:
        'The connection was lost. Either we connect again after a backoff, or kafkajs restarts the ' +
        'consumer itself (CRASH with restart) and we wait for its join. A join in either case means the ' +
        'consumer is back in the group.',
      entry: 'clearMembership',
      initial: 'backoff',
      states: {
        backoff: {
          after: { reconnectBackoff: { target: '#connection.connecting' } },
        },
        restarting: {},
      },
      on: {
        'kafka.group.joined': { target: 'assigned', actions: 'storeAssignment' },
        'kafka.crashed': crashTransitions,
        'kafka.drain': drainTransition,
      },
    },
    draining: {
      description:
        'close() is running: drainKafka stops fetching, finishes or abandons in-flight records, commits and ' +
        'disconnects. Kafka events meanwhile are the close itself (STOP, DISCONNECT, a last rebalance) and ' +
        'are ignored. A failed drain still ends in stopped, so close() always ends.',
      invoke: {
        id: 'drainKafka',
        src: 'drainKafka',
        input: toActorInput,
        onDone: { target: 'stopped' },
        onError: { target: 'stopped', actions: 'recordError' },
      },
    },
    stopped: {
      description: 'Closed. connect() starts over; close() again is a no-op.',
      entry: 'clearMembership',
      on: {
        'kafka.connect': { target: 'connecting', actions: ['resetConnectAttempts', 'clearDrainMode'] },
        'kafka.drain': { target: 'stopped' },
      },
    },
    failed: {
      description:
        'Gave up: connect attempts ran out, a connect failed for a reason retrying cannot fix (wrong ' +
        'credentials, an untrusted certificate), or kafkajs crashed without restarting. lastError says why.',
      entry: 'clearMembership',
      on: {
        'kafka.connect': { target: 'connecting', actions: 'resetConnectAttempts' },
        'kafka.drain': drainTransition,
      },
    },
  },
});

/** The connection machine's type, also the type of every `connectionMachine.provide(...)` result. */
export type ConnectionMachine = typeof connectionMachine;

/** A snapshot of a connection actor. */
export type ConnectionSnapshot = SnapshotFrom<ConnectionMachine>;

/** The top-level state of a snapshot's value (`{ connecting: 'joining' }` → `'connecting'`). */
export function toConnectionStateValue(value: StateValue): ConnectionStateValue {
  return (typeof value === 'string' ? value : Object.keys(value)[0]) as ConnectionStateValue;
}
