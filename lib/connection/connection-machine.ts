/**
 * The connection actor's state machine: what a Kafka connection is doing and what it does next, with no I/O.
 * Everything that changes what the connection does is an event, an action or a delayed transition of this
 * chart; nothing beside it keeps a mode of its own.
 *
 * KafkaConnection binds the I/O with `connectionMachine.provide({ actors, actions })`:
 * - `listenToKafka`, a callback actor invoked for the actor's whole life, turns the driver's events (join,
 *   generation, rebalance, crash, a producer that lost its brokers) into machine events. kafkajs reports the
 *   generation apart from the join (its heartbeats and commits carry it), so `generationId` is absent for the
 *   first seconds after each join; a driver that knows it at the join sets it there.
 * - `samplePartitions`, a callback actor invoked for the actor's whole life, tells the partition actors of
 *   their partitions' progress once per interval (partition-sampler.ts): they never hear of a record.
 * - `connectKafka` (input: the context) connects the producer and, unless producer-only, connects, subscribes
 *   and runs the consumer. It resolves when the driver's calls return; the group join arrives as an event,
 *   before it resolves with kafkajs, and possibly after with a driver that declares
 *   `capabilities.joinsAfterConsume` (only then does the machine wait in `connecting.joining`).
 * - `drainKafka` (input: the context) waits for in-flight records (until they finish, or until they are
 *   abandoned), commits and disconnects.
 * - the actions `flushCommits` (a rebalance is starting: commit what is finished while this generation still
 *   can), `detachCommitter` (the consumer crashed out of its group: nothing can be committed through it),
 *   `reportCrash`, `reportConnectRetry` (one line per failed connect attempt that is retried),
 *   `abandonInFlight` (stop waiting for running handlers) and `reportDrainDeadline`.
 * Each assigned partition has a child actor (partition-machine.ts), spawned by the join that assigns it,
 * told `revoking` when a rebalance or close() begins, and stopped when a join leaves it out, the consumer
 * crashes or the connection stops.
 * Under KIP-848 (`groupProtocol: 'consumer'`) the group moves single partitions while the member stays in
 * `assigned`: `kafka.partitions.assigned` spawns actors for the partitions added, `kafka.partitions.revoked`
 * commits what is finished and tells the actors of the partitions taken `releasing`; each says
 * `partition.released` once nothing of it is in flight, and is committed for and stopped. The partitions
 * kept are never told anything: they keep flowing.
 * The drain deadline is the delayed transition `draining.finishing → draining.abandoning`; the reconnect
 * backoff is `reconnecting.backoff → connecting`; the connect timeout is the event `kafka.connect.timeout`,
 * which the user's connect() raises to the machine itself with the delay `connectTimeout` and readiness,
 * close() or a failure cancels. A spec may replace any of them through `provide({ delays })`.
 */
import {
  assign,
  cancel,
  enqueueActions,
  fromCallback,
  fromPromise,
  setup,
  type SnapshotFrom,
  type StateValue,
} from 'xstate';
import { RxKafkaError } from '../errors';
import {
  copyAssignment,
  toConnectionError,
  type ConnectionError,
  type ConnectionEvent,
} from './connection-events';
import { addToAssignment, listPartitions, removeFromAssignment } from './assignment-changes';
import {
  partitionActorId,
  partitionMachine,
  type PartitionActor,
  type PartitionEvent,
} from './partition-machine';
import {
  computeReconnectBackoffMs,
  createInitialContext,
  EMPTY_ASSIGNMENT,
  isConfigurationFailure,
  type ConnectionContext,
  type ConnectionInput,
  type ConnectionStateValue,
} from './connection-context';

export {
  computeReconnectBackoffMs,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_CONNECT_ATTEMPTS,
  type ConnectionContext,
  type ConnectionInput,
  type ConnectionStateValue,
} from './connection-context';

// Both I/O actors get the whole context: the adapter needs clientId/groupId/producerOnly to connect and
// drainMode to drain, and the context is plain data.
function toActorInput({ context }: { context: ConnectionContext }): ConnectionContext {
  return context;
}

// Invoke onError events are not part of ConnectionEvent, but carry `error` like `kafka.crashed` does.
function readEventError(event: object): ConnectionError {
  return toConnectionError('error' in event ? event.error : event);
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

// A crash always detaches the committer and is reported, whatever the state (see the root's `on`).
const crashActions = ['detachCommitter', 'reportCrash', 'countCrash', 'recordError'] as const;

const crashTransitions = [
  { guard: 'isRestartedByKafka', target: '#connection.reconnecting.restarting', actions: crashActions },
  { target: '#connection.failed', actions: crashActions },
] as const;

const drainTransition = { target: '#connection.draining', actions: 'storeDrainRequest' } as const;

// KIP-848's partition moves, handled where the member holds an assignment, without leaving the state.
const incrementalTransitions = {
  'kafka.partitions.assigned': { actions: 'addPartitions' },
  'kafka.partitions.revoked': { actions: ['flushCommits', 'releasePartitions'] },
} as const;

const PARTITION_ACTOR_PREFIX = 'partition:';

/** The id of the delayed `kafka.connect.timeout` the machine raises to itself (cancelled by that id). */
const CONNECT_TIMEOUT_ID = 'connectTimeout';

function partitionChildIds(self: { getSnapshot(): { children: Record<string, unknown> } }): string[] {
  return Object.keys(self.getSnapshot().children).filter((id) => id.startsWith(PARTITION_ACTOR_PREFIX));
}

/** The params of the `pauseFetching` and `resumeFetching` actions. */
export interface PartitionParams {
  readonly topic: string;
  readonly partition: number;
}

/** The partition an operator paused, when the child `id` is a partition actor in that pause. */
function operatorPauseOf(
  self: { getSnapshot(): { children: Record<string, unknown> } },
  id: string,
): PartitionParams | undefined {
  const child = self.getSnapshot().children[id] as PartitionActor | undefined;
  const context = child?.getSnapshot().context;
  return context?.pausedBy === undefined ? undefined : { topic: context.topic, partition: context.partition };
}

// A bound-less callback actor: the machine alone (in its specs) gets its events from `actor.send`.
const listenToNothing = fromCallback<ConnectionEvent>(() => undefined);

/** Deadlines past this are "none": setTimeout cannot wait longer (2^31 - 1 ms) and would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The connection machine. Start it with `createActor(connectionMachine.provide({...}), { input })`; an
 * unbound I/O actor fails with `RXK_ACTOR_NOT_PROVIDED`, which the machine records as `lastError`.
 */
export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
    // ready: connect() has what it waited for; closing: close() began, batches must not start (DispatchMode).
    tags: {} as 'ready' | 'closing',
  },
  actors: {
    partition: partitionMachine,
    listenToKafka: listenToNothing,
    samplePartitions: listenToNothing,
    connectKafka: createUnboundActor('connectKafka'),
    drainKafka: createUnboundActor('drainKafka'),
  },
  guards: {
    isProducerOnly: ({ context }) => context.producerOnly,
    hasJoinedGroup: ({ context }) => context.memberId !== undefined,
    mayJoinAfterConsume: ({ context }) => context.joinsAfterConsume,
    isNewGeneration: ({ context, event }) =>
      event.type === 'kafka.group.generation' &&
      event.memberId === context.memberId &&
      event.generationId !== context.generationId,
    canRetryConnect: ({ context, event }) =>
      context.connectAttempts < context.maxConnectAttempts &&
      !context.connectTimedOut &&
      !isConfigurationFailure(context, readEventError(event)),
    isRestartedByKafka: ({ event }) => event.type === 'kafka.crashed' && event.restart,
    isAbandonRequested: ({ event }) => event.type === 'kafka.drain' && event.mode === 'abandon',
    isAbandoning: ({ context }) => context.drainMode === 'abandon',
    hasDrainDeadline: ({ context }) =>
      context.drainDeadlineMs !== undefined &&
      context.drainDeadlineMs > 0 &&
      context.drainDeadlineMs <= MAX_TIMER_MS,
  },
  actions: {
    countConnectAttempt: assign({ connectAttempts: ({ context }) => context.connectAttempts + 1 }),
    resetConnectAttempts: assign({ connectAttempts: 0 }),
    // Ready ends the connect() that was waiting: its timeout no longer applies.
    markReady: enqueueActions(({ enqueue }) => {
      enqueue.assign({ connectAttempts: 0, everReady: true, connectTimedOut: false });
      enqueue.cancel(CONNECT_TIMEOUT_ID);
    }),
    // Each connect() gets its own timeout: a pending one (from a connect() that failed or was closed) is
    // replaced, never left to fire into the next.
    startConnectTimeout: enqueueActions(({ context, enqueue }) => {
      enqueue.cancel(CONNECT_TIMEOUT_ID);
      enqueue.assign({ connectTimedOut: false });
      if (context.connectTimeoutMs > 0 && context.connectTimeoutMs <= MAX_TIMER_MS) {
        enqueue.raise({ type: 'kafka.connect.timeout' }, { id: CONNECT_TIMEOUT_ID, delay: 'connectTimeout' });
      }
    }),
    cancelConnectTimeout: cancel(CONNECT_TIMEOUT_ID),
    markConnectTimedOut: assign({ connectTimedOut: true }),
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
    storeGeneration: assign(({ event }) =>
      event.type === 'kafka.group.generation' ? { generationId: event.generationId } : {},
    ),
    clearAssignment: assign({ assignment: EMPTY_ASSIGNMENT }),
    // KIP-848: partitions added to what the member keeps; each gets an actor (unless one is still releasing
    // it: the group gave it back before its records finished, and that actor goes on).
    addPartitions: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== 'kafka.partitions.assigned') return;
      enqueue.assign({ assignment: addToAssignment(context.assignment, event.partitions) });
      const children = self.getSnapshot().children;
      for (const { topic, partition } of listPartitions(event.partitions)) {
        const id = partitionActorId(topic, partition);
        if (!(id in children)) enqueue.spawnChild('partition', { id, input: { topic, partition } });
      }
    }),
    // KIP-848: partitions taken from the member, which keeps the others. Their actors finish what is in flight
    // and then say `partition.released`.
    releasePartitions: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== 'kafka.partitions.revoked') return;
      enqueue.assign({ assignment: removeFromAssignment(context.assignment, event.partitions) });
      // The actors' figures come from a sampler once a second: a record fetched since its last sample would
      // not count, and its partition would be released with it still in flight.
      enqueue('sampleProgress');
      const children = self.getSnapshot().children;
      for (const { topic, partition } of listPartitions(event.partitions)) {
        const id = partitionActorId(topic, partition);
        if (!(id in children)) continue;
        // As for a join that drops it: an operator's pause is lifted, so a partition that comes back is fetched.
        const paused = operatorPauseOf(self, id);
        if (paused) enqueue({ type: 'resumeFetching', params: paused });
        enqueue.sendTo(id, { type: 'partition.releasing' } satisfies PartitionEvent);
      }
    }),
    stopReleasedPartition: enqueueActions(({ event, enqueue, self }) => {
      if (event.type !== 'partition.released') return;
      const id = partitionActorId(event.topic, event.partition);
      if (id in self.getSnapshot().children) enqueue.stopChild(id);
    }),
    // A join: partitions it keeps go back to work, new ones get an actor, the others are revoked.
    syncPartitions: enqueueActions(({ event, enqueue, self }) => {
      if (event.type !== 'kafka.group.joined') return;
      const assigned = new Map<string, { topic: string; partition: number }>();
      for (const [topic, partitions] of Object.entries(event.assignment)) {
        for (const partition of partitions)
          assigned.set(partitionActorId(topic, partition), { topic, partition });
      }
      for (const id of partitionChildIds(self)) {
        if (assigned.delete(id)) {
          enqueue.sendTo(id, { type: 'partition.kept' } satisfies PartitionEvent);
        } else {
          // The consumer keeps a pause past the partition's departure: lifted, so that the partition is
          // fetched if it comes back (as a new, unpaused actor).
          const paused = operatorPauseOf(self, id);
          if (paused) enqueue({ type: 'resumeFetching', params: paused });
          enqueue.sendTo(id, { type: 'partition.revoked' } satisfies PartitionEvent);
          enqueue.stopChild(id);
        }
      }
      for (const [id, input] of assigned) enqueue.spawnChild('partition', { id, input });
    }),
    revokingPartitions: enqueueActions(({ enqueue, self }) => {
      for (const id of partitionChildIds(self)) {
        enqueue.sendTo(id, { type: 'partition.revoking' } satisfies PartitionEvent);
      }
    }),
    dropPartitions: enqueueActions(({ enqueue, self }) => {
      for (const id of partitionChildIds(self)) {
        enqueue.sendTo(id, { type: 'partition.revoked' } satisfies PartitionEvent);
        enqueue.stopChild(id);
      }
    }),
    clearMembership: assign({ assignment: EMPTY_ASSIGNMENT, memberId: undefined, generationId: undefined }),
    // An operator's command, accepted by KafkaConnection.command() after the partition actor said it takes
    // it: the edge is the partition actor's, the consumer's pause or resume goes with it.
    commandPartition: enqueueActions(({ event, enqueue, self }) => {
      if (event.type !== 'operator.pause' && event.type !== 'operator.resume') return;
      const { type, topic, partition, by, at } = event;
      const id = partitionActorId(topic, partition);
      const child = self.getSnapshot().children[id] as PartitionActor | undefined;
      if (!child?.getSnapshot().can({ type, by, at })) return;
      enqueue.sendTo(id, { type, by, at } satisfies PartitionEvent);
      enqueue({
        type: type === 'operator.pause' ? 'pauseFetching' : 'resumeFetching',
        params: { topic, partition },
      });
    }),
    storeDrainRequest: assign(({ event }) =>
      event.type === 'kafka.drain'
        ? { drainMode: event.mode, drainDeadlineMs: event.deadlineMs, drainTimedOut: false }
        : { drainMode: 'drain' as const, drainDeadlineMs: undefined, drainTimedOut: false },
    ),
    markDrainAbandoned: assign({ drainMode: 'abandon' as const }),
    markDrainTimedOut: assign({ drainTimedOut: true }),
    clearDrainRequest: assign({ drainMode: undefined, drainDeadlineMs: undefined, drainTimedOut: false }),
    // The I/O side effects, bound by KafkaConnection; no-ops for the machine alone.
    flushCommits: () => undefined,
    detachCommitter: () => undefined,
    reportCrash: () => undefined,
    reportConnectRetry: () => undefined,
    abandonInFlight: () => undefined,
    sampleProgress: () => undefined,
    reportDrainDeadline: () => undefined,
    // Params typed `unknown`: xstate cannot type an action's params inside the setup whose enqueueActions
    // enqueue it; each is a PartitionParams.
    pauseFetching: (_, _partition: unknown) => undefined,
    resumeFetching: (_, _partition: unknown) => undefined,
  },
  delays: {
    reconnectBackoff: ({ context }) => computeReconnectBackoffMs(context.connectAttempts),
    drainDeadline: ({ context }) => Math.min(context.drainDeadlineMs ?? 0, MAX_TIMER_MS),
    connectTimeout: ({ context }) => context.connectTimeoutMs,
  },
}).createMachine({
  id: 'connection',
  context: createInitialContext,
  initial: 'idle',
  invoke: [
    { id: 'listenToKafka', src: 'listenToKafka' },
    { id: 'samplePartitions', src: 'samplePartitions' },
  ],
  // What a state does not handle itself: a rebalance still flushes what is finished (kafkajs may announce
  // one again while rebalancing or reconnecting), and a crash still detaches and is reported (while
  // draining, say), without moving the connection.
  // A partition actor that was releasing its partition (KIP-848) is committed for and stopped in any state:
  // its records finished.
  on: {
    'kafka.rebalance.started': { actions: ['flushCommits', 'revokingPartitions'] },
    'kafka.crashed': { actions: ['detachCommitter', 'reportCrash'] },
    'partition.released': { actions: ['flushCommits', 'stopReleasedPartition'] },
  },
  states: {
    idle: {
      description: 'Created, never connected.',
      on: {
        'kafka.connect': { target: 'connecting', actions: 'startConnectTimeout' },
        'kafka.drain': { target: 'stopped' },
      },
    },
    connecting: {
      description:
        'One connect attempt: connectKafka runs, then a consumer waits for its first group join. kafkajs ' +
        'emits GROUP_JOIN inside consumer.run(), so the join may arrive before connectKafka resolves. The ' +
        'connect timeout lets the attempt finish (kafkajs bounds it with its own retries), but no other starts.',
      entry: ['countConnectAttempt', 'clearMembership', 'dropPartitions'],
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
              // A driver that joins inside consume() (kafkajs) has reported the join, or a crash that moved
              // the machine on, before connectKafka resolves.
              { guard: 'mayJoinAfterConsume', target: 'joining' },
            ],
            onError: [
              {
                guard: 'canRetryConnect',
                target: '#connection.reconnecting',
                actions: ['recordError', 'reportConnectRetry'],
              },
              { target: '#connection.failed', actions: 'recordError' },
            ],
          },
          on: {
            'kafka.group.joined': { actions: ['storeAssignment', 'syncPartitions'] },
            'kafka.rebalance.started': { actions: ['flushCommits', 'revokingPartitions', 'clearMembership'] },
            ...incrementalTransitions,
          },
        },
        joining: {
          description:
            'connectKafka resolved before the group join, which only a driver whose join may come later ' +
            '(capabilities.joinsAfterConsume) does; the join, or a crash, moves on.',
          on: {
            'kafka.group.joined': {
              target: '#connection.assigned',
              actions: ['storeAssignment', 'syncPartitions'],
            },
          },
        },
      },
      on: {
        'kafka.connect.timeout': { actions: 'markConnectTimedOut' },
        'kafka.crashed': crashTransitions,
        'kafka.drain': drainTransition,
      },
    },
    connected: {
      description:
        'A producer-only connection is up; it never joins a group, so it has no assignment. A send that ' +
        'fails because the brokers are gone moves it to reconnecting: nothing else would notice.',
      tags: 'ready',
      entry: 'markReady',
      on: {
        'kafka.producer.lost': { target: 'reconnecting', actions: 'recordError' },
        'kafka.drain': drainTransition,
      },
    },
    assigned: {
      description:
        'The consumer is in the group and consumes its assignment. Under KIP-848 partitions are added and ' +
        'taken here, one move at a time, while the others keep flowing.',
      tags: 'ready',
      entry: 'markReady',
      on: {
        // kafkajs announces every rejoin with a rebalance first; a join without one only updates what we hold.
        'kafka.group.joined': { actions: ['storeAssignment', 'syncPartitions'] },
        'kafka.group.generation': { guard: 'isNewGeneration', actions: 'storeGeneration' },
        'kafka.rebalance.started': { target: 'rebalancing', actions: ['flushCommits', 'revokingPartitions'] },
        ...incrementalTransitions,
        'kafka.crashed': crashTransitions,
        'kafka.drain': drainTransition,
        'operator.pause': { actions: 'commandPartition' },
        'operator.resume': { actions: 'commandPartition' },
      },
    },
    rebalancing: {
      description:
        'The group is rebalancing. The assignment is cleared, not kept as stale: records of partitions ' +
        'being revoked must not be processed, and the next join says which partitions are ours.',
      entry: 'clearAssignment',
      on: {
        'kafka.group.joined': { target: 'assigned', actions: ['storeAssignment', 'syncPartitions'] },
        'kafka.crashed': crashTransitions,
        'kafka.drain': drainTransition,
      },
    },
    reconnecting: {
      description:
        'The connection was lost. Either we connect again after a backoff (a connect attempt failed, or a ' +
        'producer-only connection lost its brokers), or kafkajs restarts the consumer itself (a crash with ' +
        'restart) and we wait for its join. A join in either case means the consumer is back in the group. ' +
        "A connect() that passes its connect timeout while waiting for the backoff fails with the last attempt's error.",
      entry: ['clearMembership', 'dropPartitions'],
      initial: 'backoff',
      states: {
        backoff: {
          after: { reconnectBackoff: { target: '#connection.connecting' } },
          on: { 'kafka.connect.timeout': { target: '#connection.failed', actions: 'markConnectTimedOut' } },
        },
        restarting: {},
      },
      on: {
        'kafka.connect.timeout': { actions: 'markConnectTimedOut' },
        'kafka.group.joined': { target: 'assigned', actions: ['storeAssignment', 'syncPartitions'] },
        'kafka.crashed': crashTransitions,
        'kafka.drain': drainTransition,
      },
    },
    draining: {
      description:
        'close() is running: no new batch is started, drainKafka waits for in-flight records, commits and ' +
        'disconnects. Group events meanwhile are the close itself (a last rebalance) and move nothing. A ' +
        'failed drain still ends in stopped, so close() always ends.',
      tags: 'closing',
      entry: ['revokingPartitions', 'cancelConnectTimeout'],
      invoke: {
        id: 'drainKafka',
        src: 'drainKafka',
        input: toActorInput,
        onDone: { target: 'stopped' },
        onError: { target: 'stopped', actions: 'recordError' },
      },
      initial: 'finishing',
      states: {
        finishing: {
          description: "close('drain'): running handlers finish and their replies are produced.",
          always: { guard: 'isAbandoning', target: 'abandoning' },
          after: {
            drainDeadline: {
              guard: 'hasDrainDeadline',
              target: 'abandoning',
              actions: ['markDrainTimedOut', 'reportDrainDeadline'],
            },
          },
          on: { 'kafka.drain': { guard: 'isAbandonRequested', target: 'abandoning' } },
        },
        abandoning: {
          description:
            "close('abandon'), or the drain deadline passed: running handlers are no longer waited for and " +
            "resolve nothing, so their records are redelivered to the partitions' next owners.",
          entry: ['markDrainAbandoned', 'abandonInFlight'],
        },
      },
    },
    stopped: {
      description: 'Closed. connect() starts over; close() again is a no-op.',
      tags: 'closing',
      entry: ['clearMembership', 'dropPartitions'],
      on: {
        'kafka.connect': {
          target: 'connecting',
          actions: ['resetConnectAttempts', 'clearDrainRequest', 'startConnectTimeout'],
        },
        'kafka.drain': { target: 'stopped' },
      },
    },
    failed: {
      description:
        'Gave up: connect attempts ran out, a connect() passed its connect timeout, a connect failed for a ' +
        'reason retrying cannot fix (wrong credentials, an untrusted certificate, a missing topic at the ' +
        'first connect), or kafkajs crashed without restarting. lastError says why.',
      entry: ['clearMembership', 'dropPartitions', 'cancelConnectTimeout'],
      on: {
        'kafka.connect': { target: 'connecting', actions: ['resetConnectAttempts', 'startConnectTimeout'] },
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
