import { expect } from 'chai';
import { createActor, fromCallback, fromPromise, SimulatedClock, waitFor, type Actor } from 'xstate';
import { RxKafkaError } from '../../lib/errors';
import {
  createConnectEvent,
  createCrashedEvent,
  createDrainEvent,
  createGroupJoinedEvent,
  createPartitionsAssignedEvent,
  createPartitionsRevokedEvent,
  createProducerLostEvent,
  createRebalanceStartedEvent,
} from '../../lib/connection/connection-events';
import {
  computeReconnectBackoffMs,
  connectionMachine,
  toConnectionStateValue,
  type ConnectionContext,
  type ConnectionInput,
  type ConnectionMachine,
  type ConnectionSnapshot,
  type ConnectionStateValue,
} from '../../lib/connection/connection-machine';
import type { ConnectionEvent } from '../../lib/connection/connection-events';

type Connection = Actor<ConnectionMachine>;

interface HarnessOptions {
  readonly input?: Partial<ConnectionInput>;
  readonly connect?: (input: ConnectionContext) => Promise<void>;
  readonly drain?: (input: ConnectionContext) => Promise<void>;
  /** Overrides the backoff through provide(); without it a SimulatedClock holds every timer. */
  readonly backoffMs?: number;
}

interface Harness {
  readonly actor: Connection;
  readonly clock: SimulatedClock;
  readonly connectInputs: ConnectionContext[];
  readonly drainInputs: ConnectionContext[];
  /** The I/O actions the machine ran, by name, in order. */
  readonly actions: string[];
  /** Sends an event the way the driver's events arrive: through the invoked listenToKafka actor. */
  fromKafka(event: ConnectionEvent): void;
}

const IO_ACTIONS = [
  'flushCommits',
  'detachCommitter',
  'reportCrash',
  'abandonInFlight',
  'reportDrainDeadline',
] as const;

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

const running: Connection[] = [];

function createDeferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function startConnection(options: HarnessOptions = {}): Harness {
  const { connect = () => Promise.resolve(), drain = () => Promise.resolve(), backoffMs } = options;
  const connectInputs: ConnectionContext[] = [];
  const drainInputs: ConnectionContext[] = [];
  const actions: string[] = [];
  let sendBack: ((event: ConnectionEvent) => void) | undefined;
  const machine = connectionMachine.provide({
    actions: Object.fromEntries(IO_ACTIONS.map((name) => [name, () => void actions.push(name)])),
    actors: {
      listenToKafka: fromCallback<ConnectionEvent>(({ sendBack: send }) => {
        sendBack = send;
        return () => (sendBack = undefined);
      }),
      connectKafka: fromPromise<void, ConnectionContext>(({ input }) => {
        connectInputs.push(input);
        return connect(input);
      }),
      drainKafka: fromPromise<void, ConnectionContext>(({ input }) => {
        drainInputs.push(input);
        return drain(input);
      }),
    },
    ...(backoffMs === undefined ? {} : { delays: { reconnectBackoff: backoffMs } }),
  });
  const clock = new SimulatedClock();
  const actor = createActor(machine, {
    input: { clientId: 'heroes-client', groupId: 'heroes-group', ...options.input },
    ...(backoffMs === undefined ? { clock } : {}),
  });
  running.push(actor);
  actor.start();
  const fromKafka = (event: ConnectionEvent): void => {
    if (!sendBack) throw new Error('listenToKafka is not running');
    sendBack(event);
  };
  return { actor, clock, connectInputs, drainInputs, actions, fromKafka };
}

function stateOf(actor: Connection): ConnectionStateValue {
  return toConnectionStateValue(actor.getSnapshot().value);
}

function contextOf(actor: Connection): ConnectionContext {
  return actor.getSnapshot().context;
}

/** Each partition actor of the connection with its state, `partition:<topic>/<partition>=<state>`. */
const partitionsOf = (actor: Connection) =>
  Object.entries(actor.getSnapshot().children)
    .filter(([id]) => id.startsWith('partition:'))
    .map(([id, child]) => `${id}=${String((child?.getSnapshot() as { value: unknown }).value)}`)
    .sort();

// The timeout only turns a missing transition into a quick failure instead of mocha's 60 s one.
function waitForSnapshot(
  actor: Connection,
  predicate: (snapshot: ConnectionSnapshot) => boolean,
): Promise<ConnectionSnapshot> {
  return waitFor(actor, predicate, { timeout: 2_000 });
}

function waitForState(actor: Connection, state: ConnectionStateValue): Promise<ConnectionSnapshot> {
  return waitForSnapshot(actor, (snapshot) => toConnectionStateValue(snapshot.value) === state);
}

const join = (assignment: Record<string, number[]>, memberId = 'member-1', generationId?: number) =>
  createGroupJoinedEvent({ assignment, memberId, ...(generationId === undefined ? {} : { generationId }) });

const kafkaError = (name: string, message: string) => Object.assign(new Error(message), { name });

async function reachAssigned(options: HarnessOptions = {}): Promise<Harness> {
  const harness = startConnection(options);
  harness.actor.send(createConnectEvent());
  harness.actor.send(join({ 'hero.kill.dragon': [0, 1] }, 'member-1', 1));
  await waitForState(harness.actor, 'assigned');
  return harness;
}

async function reachConnected(options: HarnessOptions = {}): Promise<Harness> {
  const harness = startConnection({ ...options, input: { producerOnly: true, ...options.input } });
  harness.actor.send(createConnectEvent());
  await waitForState(harness.actor, 'connected');
  return harness;
}

async function reachFailed(options: HarnessOptions = {}): Promise<Harness> {
  const harness = startConnection({
    ...options,
    input: { maxConnectAttempts: 1, ...options.input },
    connect: () => Promise.reject(kafkaError('KafkaJSConnectionError', 'Connection refused')),
  });
  harness.actor.send(createConnectEvent());
  await waitForState(harness.actor, 'failed');
  return harness;
}

describe('connectionMachine', () => {
  afterEach(() => {
    running.splice(0).forEach((actor) => actor.stop());
  });

  describe('initial state', () => {
    it('starts idle with defaults filled from the input', () => {
      const { actor } = startConnection();
      expect(stateOf(actor)).to.equal('idle');
      expect(contextOf(actor)).to.deep.include({
        clientId: 'heroes-client',
        groupId: 'heroes-group',
        producerOnly: false,
        assignment: {},
        connectAttempts: 0,
        maxConnectAttempts: 5,
        crashes: 0,
      });
    });

    it('accepts Infinity as maxConnectAttempts', () => {
      const { actor } = startConnection({ input: { maxConnectAttempts: Infinity } });
      expect(contextOf(actor).maxConnectAttempts).to.equal(Infinity);
    });
  });

  describe('idle', () => {
    it('moves to connecting on kafka.connect and runs connectKafka with the context', () => {
      const { actor, connectInputs } = startConnection({ connect: () => createDeferred().promise });
      actor.send(createConnectEvent());
      expect(actor.getSnapshot().value).to.deep.equal({ connecting: 'starting' });
      expect(connectInputs).to.have.length(1);
      expect(connectInputs[0]).to.deep.include({ clientId: 'heroes-client', connectAttempts: 1 });
    });

    it('moves to stopped on kafka.drain without running drainKafka', () => {
      const { actor, drainInputs } = startConnection();
      actor.send(createDrainEvent());
      expect(stateOf(actor)).to.equal('stopped');
      expect(drainInputs).to.deep.equal([]);
    });
  });

  describe('connecting', () => {
    it('moves a producer-only connection to connected, tagged ready, when connectKafka resolves', async () => {
      const { actor } = await reachConnected();
      expect(actor.getSnapshot().hasTag('ready')).to.equal(true);
      expect(contextOf(actor)).to.deep.include({ connectAttempts: 0, assignment: {} });
    });

    it('waits in connecting.joining, not ready, until the group join', async () => {
      const { actor } = startConnection();
      actor.send(createConnectEvent());
      await waitForSnapshot(actor, (snapshot) => snapshot.matches({ connecting: 'joining' }));
      expect(actor.getSnapshot().hasTag('ready')).to.equal(false);
      actor.send(join({ 'hero.kill.dragon': [2] }, 'member-7', 3));
      expect(stateOf(actor)).to.equal('assigned');
      expect(contextOf(actor)).to.deep.include({
        assignment: { 'hero.kill.dragon': [2] },
        memberId: 'member-7',
        generationId: 3,
        connectAttempts: 0,
      });
      expect(actor.getSnapshot().hasTag('ready')).to.equal(true);
    });

    it('takes no edge to connecting.joining without joinsAfterConsume: kafkajs reports a crash instead of a join', async () => {
      const { actor } = startConnection({ input: { joinsAfterConsume: false } });
      actor.send(createConnectEvent());
      // connectKafka resolves at once, without a join.
      await new Promise((resolve) => setImmediate(resolve));
      expect(actor.getSnapshot().value).to.deep.equal({ connecting: 'starting' });
      actor.send(createCrashedEvent(kafkaError('KafkaJSProtocolError', 'join refused'), false));
      expect(stateOf(actor)).to.equal('failed');
    });

    it('keeps a join that arrives before connectKafka resolves and is assigned once it does', async () => {
      const connect = createDeferred();
      const { actor } = startConnection({ connect: () => connect.promise });
      actor.send(createConnectEvent());
      actor.send(join({ 'hero.kill.dragon': [0] }));
      expect(actor.getSnapshot().value).to.deep.equal({ connecting: 'starting' });
      expect(contextOf(actor).assignment).to.deep.equal({ 'hero.kill.dragon': [0] });
      connect.resolve();
      await waitForState(actor, 'assigned');
      expect(contextOf(actor).assignment).to.deep.equal({ 'hero.kill.dragon': [0] });
    });

    it('forgets an early join revoked by a rebalance and waits for the next join', async () => {
      const connect = createDeferred();
      const { actor } = startConnection({ connect: () => connect.promise });
      actor.send(createConnectEvent());
      actor.send(join({ 'hero.kill.dragon': [0] }));
      actor.send(createRebalanceStartedEvent());
      expect(contextOf(actor).assignment).to.deep.equal({});
      connect.resolve();
      await waitForSnapshot(actor, (snapshot) => snapshot.matches({ connecting: 'joining' }));
      actor.send(join({ 'hero.kill.dragon': [1] }));
      expect(stateOf(actor)).to.equal('assigned');
      expect(contextOf(actor).assignment).to.deep.equal({ 'hero.kill.dragon': [1] });
    });

    it('moves to reconnecting with lastError when connectKafka fails and attempts remain', async () => {
      const { actor } = startConnection({
        connect: () => Promise.reject(kafkaError('KafkaJSConnectionError', 'Connection refused')),
      });
      actor.send(createConnectEvent());
      await waitForState(actor, 'reconnecting');
      expect(actor.getSnapshot().value).to.deep.equal({ reconnecting: 'backoff' });
      expect(contextOf(actor).lastError).to.deep.equal({
        name: 'KafkaJSConnectionError',
        message: 'Connection refused',
      });
    });

    it('retries until maxConnectAttempts and then fails', async () => {
      const { actor, connectInputs } = startConnection({
        input: { maxConnectAttempts: 3 },
        backoffMs: 0,
        connect: () => Promise.reject(kafkaError('KafkaJSConnectionError', 'Connection refused')),
      });
      actor.send(createConnectEvent());
      await waitForState(actor, 'failed');
      expect(connectInputs.map((input) => input.connectAttempts)).to.deep.equal([1, 2, 3]);
      expect(contextOf(actor).lastError?.name).to.equal('KafkaJSConnectionError');
      expect(actor.getSnapshot().hasTag('ready')).to.equal(false);
    });

    it('fails at the first attempt, without a backoff, when the failure cannot be retried (wrong credentials)', async () => {
      const { actor, connectInputs } = startConnection({
        input: { maxConnectAttempts: 5 },
        backoffMs: 0,
        connect: () =>
          Promise.reject(new RxKafkaError('RXK_AUTHENTICATION_FAILED', 'the broker refused user app')),
      });
      const seen: string[] = [];
      actor.subscribe((snapshot) => seen.push(toConnectionStateValue(snapshot.value)));
      actor.send(createConnectEvent());
      await waitForState(actor, 'failed');
      expect(connectInputs).to.have.length(1);
      expect(seen).not.to.include('reconnecting');
      expect(contextOf(actor).lastError).to.deep.equal({
        name: 'RxKafkaError',
        message: 'the broker refused user app',
        code: 'RXK_AUTHENTICATION_FAILED',
        retriable: false,
      });
    });

    it('fails a first connect at once on a likely configuration failure (the broker closed every connection)', async () => {
      const { actor, connectInputs } = startConnection({
        input: { maxConnectAttempts: 5 },
        backoffMs: 0,
        connect: () =>
          Promise.reject(new RxKafkaError('RXK_TLS_FAILED', 'closed before answering', { retriable: true })),
      });
      actor.send(createConnectEvent());
      await waitForState(actor, 'failed');
      expect(connectInputs).to.have.length(1);
      expect(contextOf(actor).everReady).to.equal(false);
    });

    it('keeps retrying that likely configuration failure once the connection has been ready (a broker restarting looks the same)', async () => {
      const outcomes = [
        () => Promise.resolve(),
        () =>
          Promise.reject(new RxKafkaError('RXK_TLS_FAILED', 'closed before answering', { retriable: true })),
        () =>
          Promise.reject(new RxKafkaError('RXK_TLS_FAILED', 'closed before answering', { retriable: true })),
        () => Promise.resolve(),
      ];
      const { actor, connectInputs } = startConnection({
        input: { producerOnly: true, maxConnectAttempts: 5 },
        backoffMs: 0,
        connect: () => (outcomes.shift() ?? (() => Promise.resolve()))(),
      });
      actor.send(createConnectEvent());
      await waitForState(actor, 'connected');
      expect(contextOf(actor).everReady).to.equal(true);
      actor.send(createProducerLostEvent(kafkaError('KafkaJSConnectionError', 'Connection refused')));
      await waitForSnapshot(actor, (snapshot) => snapshot.matches('connected') && connectInputs.length === 4);
      expect(contextOf(actor).connectAttempts).to.equal(0);
    });

    it('still gives up at once on a sure one (a refused login) after having been ready', async () => {
      const outcomes = [
        () => Promise.resolve(),
        () => Promise.reject(new RxKafkaError('RXK_AUTHENTICATION_FAILED', 'refused', { retriable: false })),
      ];
      const { actor, connectInputs } = startConnection({
        input: { producerOnly: true, maxConnectAttempts: 5 },
        backoffMs: 0,
        connect: () => (outcomes.shift() ?? (() => Promise.resolve()))(),
      });
      actor.send(createConnectEvent());
      await waitForState(actor, 'connected');
      actor.send(createProducerLostEvent(kafkaError('KafkaJSConnectionError', 'Connection refused')));
      await waitForState(actor, 'failed');
      expect(connectInputs).to.have.length(2);
    });

    it('still retries an RxKafkaError marked retriable', async () => {
      const { actor, connectInputs } = startConnection({
        input: { maxConnectAttempts: 2 },
        backoffMs: 0,
        connect: () => Promise.reject(new RxKafkaError('RXK_SEND_FAILED', 'later', { retriable: true })),
      });
      actor.send(createConnectEvent());
      await waitForState(actor, 'failed');
      expect(connectInputs).to.have.length(2);
    });

    it('fails with RXK_ACTOR_NOT_PROVIDED when connectKafka was never bound', async () => {
      const actor = createActor(connectionMachine, { input: { clientId: 'bare', maxConnectAttempts: 1 } });
      running.push(actor);
      actor.start();
      actor.send(createConnectEvent());
      await waitForState(actor, 'failed');
      expect(contextOf(actor).lastError?.name).to.equal('RxKafkaError');
      expect(contextOf(actor).lastError?.message).to.contain('connectionMachine.provide');
    });

    it('moves to reconnecting.restarting when kafkajs crashes and restarts the consumer', () => {
      const { actor } = startConnection({ connect: () => createDeferred().promise });
      actor.send(createConnectEvent());
      actor.send(createCrashedEvent(kafkaError('KafkaJSNumberOfRetriesExceeded', 'retries'), true));
      expect(actor.getSnapshot().value).to.deep.equal({ reconnecting: 'restarting' });
      expect(contextOf(actor).crashes).to.equal(1);
    });

    it('moves to failed when kafkajs crashes without restarting', () => {
      const { actor } = startConnection({ connect: () => createDeferred().promise });
      actor.send(createConnectEvent());
      actor.send(createCrashedEvent(kafkaError('KafkaJSProtocolError', 'not authorized'), false));
      expect(stateOf(actor)).to.equal('failed');
      expect(contextOf(actor).lastError).to.deep.equal({
        name: 'KafkaJSProtocolError',
        message: 'not authorized',
      });
    });

    it('ignores a lost producer while connecting: the connect attempt itself says how it went', () => {
      const { actor } = startConnection({ connect: () => createDeferred().promise });
      actor.send(createConnectEvent());
      actor.send(createProducerLostEvent(kafkaError('KafkaJSConnectionError', 'Connection refused')));
      expect(actor.getSnapshot().value).to.deep.equal({ connecting: 'starting' });
    });
  });

  describe('connected (producer-only)', () => {
    it('ignores group events it can never receive', async () => {
      const { actor } = await reachConnected();
      actor.send(join({ 'hero.kill.dragon': [0] }));
      actor.send(createRebalanceStartedEvent());
      expect(stateOf(actor)).to.equal('connected');
      expect(contextOf(actor).assignment).to.deep.equal({});
    });

    it('moves to reconnecting.backoff, with lastError, when a send finds the brokers gone', async () => {
      const { actor } = await reachConnected();
      actor.send(createProducerLostEvent(kafkaError('KafkaJSConnectionError', 'Connection refused')));
      expect(actor.getSnapshot().value).to.deep.equal({ reconnecting: 'backoff' });
      expect(contextOf(actor).lastError).to.deep.equal({
        name: 'KafkaJSConnectionError',
        message: 'Connection refused',
      });
      expect(contextOf(actor).crashes).to.equal(0);
    });

    it('reconnects after a lost producer and is connected again after the backoff', async () => {
      const { actor, clock, connectInputs } = await reachConnected();
      actor.send(createProducerLostEvent(kafkaError('KafkaJSConnectionError', 'Connection refused')));
      expect(actor.getSnapshot().value).to.deep.equal({ reconnecting: 'backoff' });
      clock.increment(computeReconnectBackoffMs(0));
      await waitForState(actor, 'connected');
      expect(connectInputs).to.have.length(2);
    });
  });

  describe('assigned', () => {
    it('updates the assignment in place on a join that no rebalance announced', async () => {
      const { actor } = await reachAssigned();
      actor.send(join({ 'hero.kill.dragon': [1] }, 'member-1', 2));
      expect(stateOf(actor)).to.equal('assigned');
      expect(contextOf(actor)).to.deep.include({ assignment: { 'hero.kill.dragon': [1] }, generationId: 2 });
    });

    it('moves to rebalancing and clears the assignment on kafka.rebalance.started', async () => {
      const { actor } = await reachAssigned();
      actor.send(createRebalanceStartedEvent());
      expect(stateOf(actor)).to.equal('rebalancing');
      expect(contextOf(actor).assignment).to.deep.equal({});
      expect(contextOf(actor).memberId).to.equal('member-1');
    });

    it('moves to reconnecting.restarting, counting the crash, when kafkajs restarts the consumer', async () => {
      const { actor } = await reachAssigned();
      actor.send(createCrashedEvent(kafkaError('KafkaJSNumberOfRetriesExceeded', 'retries'), true));
      expect(actor.getSnapshot().value).to.deep.equal({ reconnecting: 'restarting' });
      expect(contextOf(actor)).to.deep.include({ crashes: 1, assignment: {} });
      expect(contextOf(actor).lastError?.name).to.equal('KafkaJSNumberOfRetriesExceeded');
    });

    it('moves to failed when kafkajs crashes without restarting', async () => {
      const { actor } = await reachAssigned();
      actor.send(createCrashedEvent(kafkaError('KafkaJSProtocolError', 'fatal'), false));
      expect(stateOf(actor)).to.equal('failed');
      expect(contextOf(actor)).to.deep.include({ crashes: 1, assignment: {} });
    });

    it("ignores a lost producer: the consumer's own events say more", async () => {
      const { actor } = await reachAssigned();
      actor.send(createProducerLostEvent(kafkaError('KafkaJSConnectionError', 'Connection refused')));
      expect(stateOf(actor)).to.equal('assigned');
      expect(contextOf(actor).assignment).to.deep.equal({ 'hero.kill.dragon': [0, 1] });
    });

    it('waits for the restarting consumer, not for its own backoff, after a crash kafkajs restarts from', async () => {
      const { actor, clock, connectInputs } = await reachAssigned();
      actor.send(createCrashedEvent(kafkaError('KafkaJSNumberOfRetriesExceeded', 'retries'), true));
      expect(actor.getSnapshot().value).to.deep.equal({ reconnecting: 'restarting' });
      clock.increment(computeReconnectBackoffMs(10));
      expect(actor.getSnapshot().value).to.deep.equal({ reconnecting: 'restarting' });
      actor.send(join({ 'hero.kill.dragon': [0] }, 'member-2'));
      expect(stateOf(actor)).to.equal('assigned');
      expect(connectInputs).to.have.length(1);
    });
  });

  describe('rebalancing', () => {
    async function reachRebalancing(): Promise<Harness> {
      const harness = await reachAssigned();
      harness.actor.send(createRebalanceStartedEvent());
      return harness;
    }

    it('moves to assigned with the new assignment on kafka.group.joined', async () => {
      const { actor } = await reachRebalancing();
      actor.send(join({ 'hero.kill.dragon': [1] }, 'member-1', 2));
      expect(stateOf(actor)).to.equal('assigned');
      expect(contextOf(actor).assignment).to.deep.equal({ 'hero.kill.dragon': [1] });
    });

    it('stays rebalancing on another kafka.rebalance.started', async () => {
      const { actor } = await reachRebalancing();
      actor.send(createRebalanceStartedEvent());
      expect(stateOf(actor)).to.equal('rebalancing');
    });

    it('moves to reconnecting.restarting on a crash kafkajs restarts from', async () => {
      const { actor } = await reachRebalancing();
      actor.send(createCrashedEvent(kafkaError('KafkaJSNumberOfRetriesExceeded', 'retries'), true));
      expect(actor.getSnapshot().value).to.deep.equal({ reconnecting: 'restarting' });
    });

    it('moves to failed on a crash without restart', async () => {
      const { actor } = await reachRebalancing();
      actor.send(createCrashedEvent(kafkaError('KafkaJSProtocolError', 'fatal'), false));
      expect(stateOf(actor)).to.equal('failed');
    });
  });

  describe('reconnecting', () => {
    it('connects again once the reconnectBackoff delay has passed', async () => {
      const connect = createDeferred();
      const { actor, clock, connectInputs } = startConnection({
        connect: () => (connectInputs.length === 1 ? Promise.reject(new Error('refused')) : connect.promise),
      });
      actor.send(createConnectEvent());
      await waitForState(actor, 'reconnecting');
      clock.increment(computeReconnectBackoffMs(1) - 1);
      expect(stateOf(actor)).to.equal('reconnecting');
      clock.increment(1);
      expect(actor.getSnapshot().value).to.deep.equal({ connecting: 'starting' });
      expect(connectInputs.map((input) => input.connectAttempts)).to.deep.equal([1, 2]);
    });

    it('is assigned directly by the join that follows a kafkajs restart', async () => {
      const { actor, connectInputs } = await reachAssigned();
      actor.send(createCrashedEvent(kafkaError('KafkaJSNumberOfRetriesExceeded', 'retries'), true));
      actor.send(join({ 'hero.kill.dragon': [0, 1] }, 'member-2'));
      expect(stateOf(actor)).to.equal('assigned');
      expect(contextOf(actor).memberId).to.equal('member-2');
      expect(connectInputs).to.have.length(1);
    });

    async function reachBackoff(): Promise<Harness> {
      const harness = startConnection({
        connect: () => Promise.reject(kafkaError('KafkaJSConnectionError', 'Connection refused')),
      });
      harness.actor.send(createConnectEvent());
      await waitForSnapshot(harness.actor, (snapshot) => snapshot.matches({ reconnecting: 'backoff' }));
      return harness;
    }

    it('leaves the backoff for kafkajs restart when a restarting crash comes meanwhile', async () => {
      const { actor } = await reachBackoff();
      actor.send(createCrashedEvent(kafkaError('KafkaJSNumberOfRetriesExceeded', 'retries'), true));
      expect(actor.getSnapshot().value).to.deep.equal({ reconnecting: 'restarting' });
    });

    it('fails when a crash without restart comes during the backoff', async () => {
      const { actor } = await reachBackoff();
      actor.send(createCrashedEvent(kafkaError('KafkaJSProtocolError', 'fatal'), false));
      expect(stateOf(actor)).to.equal('failed');
    });

    it('keeps restarting, counting crashes, while kafkajs keeps restarting', async () => {
      const { actor } = await reachAssigned();
      actor.send(createCrashedEvent(kafkaError('KafkaJSNumberOfRetriesExceeded', 'one'), true));
      actor.send(createCrashedEvent(kafkaError('KafkaJSNumberOfRetriesExceeded', 'two'), true));
      expect(actor.getSnapshot().value).to.deep.equal({ reconnecting: 'restarting' });
      expect(contextOf(actor)).to.deep.include({ crashes: 2 });
      expect(contextOf(actor).lastError?.message).to.equal('two');
    });
  });

  describe('the connect timeout (kafka.connect.timeout, raised by the machine itself)', () => {
    const refused = () => Promise.reject(kafkaError('KafkaJSConnectionError', 'Connection refused'));

    it('fails a connect() waiting for its backoff once connectTimeoutMs has passed, with the last error', async () => {
      const { actor, clock, connectInputs } = startConnection({
        input: { maxConnectAttempts: Infinity, connectTimeoutMs: 1_000 },
        connect: refused,
      });
      actor.send(createConnectEvent());
      await waitForState(actor, 'reconnecting');
      clock.increment(computeReconnectBackoffMs(1));
      await waitForState(actor, 'reconnecting');
      expect(connectInputs).to.have.length(2);
      clock.increment(1_000 - computeReconnectBackoffMs(1) - 1);
      expect(stateOf(actor)).to.equal('reconnecting');
      clock.increment(1);
      expect(stateOf(actor)).to.equal('failed');
      expect(connectInputs).to.have.length(2);
      expect(contextOf(actor)).to.deep.include({ connectTimedOut: true });
      expect(contextOf(actor).lastError?.message).to.equal('Connection refused');
    });

    it('lets the attempt running at the timeout finish, and starts no other when it fails', async () => {
      const attempt = createDeferred();
      const { actor, clock, connectInputs } = startConnection({
        input: { maxConnectAttempts: Infinity, connectTimeoutMs: 1_000 },
        connect: () => attempt.promise,
      });
      actor.send(createConnectEvent());
      clock.increment(1_000);
      expect(actor.getSnapshot().value).to.deep.equal({ connecting: 'starting' });
      attempt.reject(kafkaError('KafkaJSConnectionError', 'Connection refused'));
      await waitForState(actor, 'failed');
      expect(connectInputs).to.have.length(1);
    });

    it('never cuts a slow join short: an attempt that succeeds after the timeout is ready', async () => {
      const { actor, clock } = startConnection({ input: { connectTimeoutMs: 1_000 } });
      actor.send(createConnectEvent());
      await waitForSnapshot(actor, (snapshot) => snapshot.matches({ connecting: 'joining' }));
      clock.increment(5_000);
      actor.send(join({ 'hero.kill.dragon': [0] }));
      expect(stateOf(actor)).to.equal('assigned');
      expect(contextOf(actor).connectTimedOut).to.equal(false);
    });

    it('does not apply once ready: a connection that served retries a lost broker past it', async () => {
      const { actor, clock, connectInputs } = startConnection({
        input: { producerOnly: true, maxConnectAttempts: Infinity, connectTimeoutMs: 1_000 },
        connect: () => (connectInputs.length === 1 ? Promise.resolve() : refused()),
      });
      actor.send(createConnectEvent());
      await waitForState(actor, 'connected');
      actor.send(createProducerLostEvent(kafkaError('KafkaJSConnectionError', 'Connection refused')));
      for (let attempt = 1; attempt <= 4; attempt += 1) {
        clock.increment(computeReconnectBackoffMs(attempt - 1));
        await waitForState(actor, 'reconnecting');
      }
      expect(connectInputs.length).to.equal(5);
      expect(stateOf(actor)).to.equal('reconnecting');
    });

    it('starts afresh at each connect(): a timeout of a connect() that failed never fires into the next', async () => {
      const { actor, clock, connectInputs } = startConnection({
        input: { maxConnectAttempts: 1, connectTimeoutMs: 1_000 },
        connect: refused,
      });
      actor.send(createConnectEvent());
      await waitForState(actor, 'failed');
      clock.increment(600);
      actor.send(createConnectEvent());
      await waitForState(actor, 'failed');
      expect(contextOf(actor).connectTimedOut).to.equal(false);
      clock.increment(600);
      expect(contextOf(actor).connectTimedOut).to.equal(false);
      expect(connectInputs).to.have.length(2);
    });

    it('has no timeout with connectTimeoutMs 0: only maxConnectAttempts limits', async () => {
      const { actor, clock } = startConnection({
        input: { maxConnectAttempts: Infinity, connectTimeoutMs: 0 },
        connect: refused,
      });
      actor.send(createConnectEvent());
      await waitForState(actor, 'reconnecting');
      clock.increment(60_000);
      expect(contextOf(actor).connectTimedOut).to.equal(false);
    });
  });

  describe('draining', () => {
    const origins: ReadonlyArray<{
      state: ConnectionStateValue;
      reach: (options: HarnessOptions) => Promise<Harness>;
    }> = [
      {
        state: 'connecting',
        reach: async (options) => {
          const harness = startConnection({ ...options, connect: () => createDeferred().promise });
          harness.actor.send(createConnectEvent());
          return harness;
        },
      },
      { state: 'connected', reach: reachConnected },
      { state: 'assigned', reach: reachAssigned },
      {
        state: 'rebalancing',
        reach: async (options) => {
          const harness = await reachAssigned(options);
          harness.actor.send(createRebalanceStartedEvent());
          return harness;
        },
      },
      {
        state: 'reconnecting',
        reach: async (options) => {
          const harness = await reachAssigned(options);
          harness.actor.send(
            createCrashedEvent(kafkaError('KafkaJSNumberOfRetriesExceeded', 'retries'), true),
          );
          return harness;
        },
      },
      { state: 'failed', reach: reachFailed },
    ];

    for (const { state, reach } of origins) {
      it(`drains from ${state} and ends stopped`, async () => {
        const drain = createDeferred();
        const { actor, drainInputs } = await reach({ drain: () => drain.promise });
        expect(stateOf(actor)).to.equal(state);
        actor.send(createDrainEvent('abandon'));
        expect(stateOf(actor)).to.equal('draining');
        expect(drainInputs).to.have.length(1);
        expect(drainInputs[0].drainMode).to.equal('abandon');
        drain.resolve();
        await waitForState(actor, 'stopped');
      });
    }

    it('keeps the assignment visible while in-flight records drain', async () => {
      const { actor } = await reachAssigned({ drain: () => createDeferred().promise });
      actor.send(createDrainEvent());
      expect(contextOf(actor)).to.deep.include({
        drainMode: 'drain',
        assignment: { 'hero.kill.dragon': [0, 1] },
      });
    });

    it('ignores Kafka and user events until drainKafka settles', async () => {
      const drain = createDeferred();
      const { actor, drainInputs } = await reachAssigned({ drain: () => drain.promise });
      actor.send(createDrainEvent());
      actor.send(createRebalanceStartedEvent());
      actor.send(join({ 'hero.kill.dragon': [3] }));
      actor.send(createCrashedEvent(new Error('late'), false));
      actor.send(createConnectEvent());
      actor.send(createDrainEvent('drain'));
      expect(actor.getSnapshot().value).to.deep.equal({ draining: 'finishing' });
      expect(contextOf(actor)).to.deep.include({ crashes: 0, drainMode: 'drain' });
      expect(drainInputs).to.have.length(1);
      drain.resolve();
      await waitForState(actor, 'stopped');
    });

    it('still ends stopped, with lastError, when drainKafka fails', async () => {
      const { actor } = await reachAssigned({
        drain: () => Promise.reject(kafkaError('KafkaJSRequestTimeoutError', 'commit timed out')),
      });
      actor.send(createDrainEvent());
      await waitForState(actor, 'stopped');
      expect(contextOf(actor).lastError).to.deep.equal({
        name: 'KafkaJSRequestTimeoutError',
        message: 'commit timed out',
      });
    });
  });

  describe('draining: the deadline and abandoning', () => {
    it("goes straight to draining.abandoning on close('abandon') and abandons in-flight work once", async () => {
      const { actor, actions } = await reachAssigned({ drain: () => createDeferred().promise });
      actor.send(createDrainEvent('abandon'));
      expect(actor.getSnapshot().value).to.deep.equal({ draining: 'abandoning' });
      expect(actions.filter((name) => name === 'abandonInFlight')).to.have.length(1);
      expect(contextOf(actor)).to.deep.include({ drainMode: 'abandon', drainTimedOut: false });
    });

    it('abandons once the drain deadline passes, marking the drain timed out', async () => {
      const drain = createDeferred();
      const { actor, clock, actions } = await reachAssigned({ drain: () => drain.promise });
      actor.send(createDrainEvent('drain', 5_000));
      expect(actor.getSnapshot().value).to.deep.equal({ draining: 'finishing' });
      clock.increment(4_999);
      expect(actions).not.to.include('abandonInFlight');
      clock.increment(1);
      expect(actor.getSnapshot().value).to.deep.equal({ draining: 'abandoning' });
      expect(actions.slice(-2)).to.deep.equal(['reportDrainDeadline', 'abandonInFlight']);
      expect(contextOf(actor)).to.deep.include({ drainMode: 'abandon', drainTimedOut: true });
      drain.resolve();
      await waitForState(actor, 'stopped');
      expect(contextOf(actor)).to.deep.include({ drainMode: 'abandon', drainTimedOut: true });
    });

    for (const deadlineMs of [undefined, 0, Infinity]) {
      it(`waits for in-flight work for ever with a deadline of ${deadlineMs}`, async () => {
        const { actor, clock, actions } = await reachAssigned({ drain: () => createDeferred().promise });
        actor.send(createDrainEvent('drain', deadlineMs));
        clock.increment(3_600_000);
        expect(actor.getSnapshot().value).to.deep.equal({ draining: 'finishing' });
        expect(actions).not.to.include('abandonInFlight');
      });
    }

    it("cuts a drain in progress short on a second close('abandon')", async () => {
      const { actor, actions } = await reachAssigned({ drain: () => createDeferred().promise });
      actor.send(createDrainEvent('drain', 60_000));
      actor.send(createDrainEvent('abandon'));
      expect(actor.getSnapshot().value).to.deep.equal({ draining: 'abandoning' });
      expect(actions).to.include('abandonInFlight');
      expect(contextOf(actor).drainTimedOut).to.equal(false);
    });

    it('starts the next close() with a fresh drain record after a connect()', async () => {
      const { actor, clock } = await reachAssigned();
      actor.send(createDrainEvent('drain', 10));
      await waitForState(actor, 'stopped');
      actor.send(createConnectEvent());
      expect(contextOf(actor)).to.deep.include({ drainMode: undefined, drainTimedOut: false });
      expect(contextOf(actor).drainDeadlineMs).to.equal(undefined);
      clock.increment(10);
    });
  });

  describe('the I/O actions', () => {
    it('flushes commits on every rebalance, in assigned, rebalancing and connecting alike', async () => {
      const { actor, actions } = await reachAssigned();
      actor.send(createRebalanceStartedEvent());
      actor.send(createRebalanceStartedEvent());
      expect(actions).to.deep.equal(['flushCommits', 'flushCommits']);
      const early = startConnection({ connect: () => createDeferred().promise });
      early.actor.send(createConnectEvent());
      early.actor.send(createRebalanceStartedEvent());
      expect(early.actions).to.deep.equal(['flushCommits']);
    });

    it('detaches the committer and reports every crash, also one while draining, which moves nothing', async () => {
      const { actor, actions } = await reachAssigned({ drain: () => createDeferred().promise });
      actor.send(createCrashedEvent(kafkaError('KafkaJSNumberOfRetriesExceeded', 'retries'), true));
      expect(actions).to.deep.equal(['detachCommitter', 'reportCrash']);
      actor.send(createDrainEvent());
      actor.send(createCrashedEvent(kafkaError('KafkaJSNumberOfRetriesExceeded', 'late'), false));
      expect(actions.slice(-2)).to.deep.equal(['detachCommitter', 'reportCrash']);
      expect(stateOf(actor)).to.equal('draining');
      expect(contextOf(actor).crashes).to.equal(1);
    });
  });

  describe('listenToKafka (the invoked actor that receives the driver’s events)', () => {
    it('runs from start to stop and its events drive the machine', async () => {
      const harness = startConnection();
      harness.actor.send(createConnectEvent());
      await waitForSnapshot(harness.actor, (snapshot) => snapshot.matches({ connecting: 'joining' }));
      harness.fromKafka(join({ 'hero.kill.dragon': [4] }));
      expect(stateOf(harness.actor)).to.equal('assigned');
      harness.fromKafka(createRebalanceStartedEvent());
      expect(stateOf(harness.actor)).to.equal('rebalancing');
      expect(harness.actions).to.deep.equal(['flushCommits']);
      harness.actor.stop();
      expect(() => harness.fromKafka(createRebalanceStartedEvent())).to.throw('not running');
    });
  });

  describe('partition actors', () => {
    it('spawns one per assigned partition on the join', async () => {
      const { actor } = await reachAssigned();
      expect(partitionsOf(actor)).to.deep.equal([
        'partition:hero.kill.dragon/0=idle',
        'partition:hero.kill.dragon/1=idle',
      ]);
    });

    it('tells them of a rebalance, keeps what the next join keeps, spawns what it adds, stops what it drops', async () => {
      const { actor } = await reachAssigned();
      actor.send(createRebalanceStartedEvent());
      expect(partitionsOf(actor)).to.deep.equal([
        'partition:hero.kill.dragon/0=revoking',
        'partition:hero.kill.dragon/1=revoking',
      ]);
      actor.send(join({ 'hero.kill.dragon': [1, 2] }, 'member-1', 2));
      expect(partitionsOf(actor)).to.deep.equal([
        'partition:hero.kill.dragon/1=idle',
        'partition:hero.kill.dragon/2=idle',
      ]);
    });

    it('stops them all when the consumer crashes out of its group, and when close() ends', async () => {
      const crashed = await reachAssigned();
      crashed.actor.send(createCrashedEvent(kafkaError('KafkaJSNumberOfRetriesExceeded', 'retries'), true));
      expect(partitionsOf(crashed.actor)).to.deep.equal([]);
      const drain = createDeferred();
      const closed = await reachAssigned({ drain: () => drain.promise });
      closed.actor.send(createDrainEvent());
      expect(partitionsOf(closed.actor)).to.deep.equal([
        'partition:hero.kill.dragon/0=revoking',
        'partition:hero.kill.dragon/1=revoking',
      ]);
      drain.resolve();
      await waitForState(closed.actor, 'stopped');
      expect(partitionsOf(closed.actor)).to.deep.equal([]);
    });
  });

  describe('incremental rebalances (KIP-848: partitions added and taken while assigned)', () => {
    const sample = (actor: Connection, partition: number, inFlight: number) =>
      actor.getSnapshot().children[`partition:hero.kill.dragon/${partition}`]?.send({
        type: 'partition.sampled',
        progress: { inFlight, batches: 1 },
        at: 5_000,
      });

    function recordStates(actor: Connection): string[] {
      const states: string[] = [];
      actor.subscribe((snapshot) => states.push(toConnectionStateValue(snapshot.value)));
      return states;
    }

    it('spawns actors for partitions added, staying assigned, and leaves the others as they are', async () => {
      const { actor } = await reachAssigned();
      sample(actor, 0, 3);
      const states = recordStates(actor);
      actor.send(createPartitionsAssignedEvent({ 'hero.kill.dragon': [2], 'hero.heal': [0] }));
      expect(states).to.not.include('rebalancing');
      expect(stateOf(actor)).to.equal('assigned');
      expect(contextOf(actor).assignment).to.deep.equal({ 'hero.kill.dragon': [0, 1, 2], 'hero.heal': [0] });
      expect(partitionsOf(actor)).to.deep.equal([
        'partition:hero.heal/0=idle',
        'partition:hero.kill.dragon/0=processing',
        'partition:hero.kill.dragon/1=idle',
        'partition:hero.kill.dragon/2=idle',
      ]);
    });

    it('commits and releases a partition taken only once its records in flight finish; the others keep flowing', async () => {
      const { actor, actions } = await reachAssigned();
      sample(actor, 0, 2);
      sample(actor, 1, 1);
      const states = recordStates(actor);
      actor.send(createPartitionsRevokedEvent({ 'hero.kill.dragon': [1] }));
      expect(stateOf(actor)).to.equal('assigned');
      expect(contextOf(actor).assignment).to.deep.equal({ 'hero.kill.dragon': [0] });
      expect(actions).to.deep.equal(['flushCommits']);
      expect(partitionsOf(actor)).to.deep.equal([
        'partition:hero.kill.dragon/0=processing',
        'partition:hero.kill.dragon/1=releasing',
      ]);
      sample(actor, 1, 0);
      expect(actions).to.deep.equal(['flushCommits', 'flushCommits']);
      expect(partitionsOf(actor)).to.deep.equal(['partition:hero.kill.dragon/0=processing']);
      expect(states).to.not.include('rebalancing');
      expect(stateOf(actor)).to.equal('assigned');
    });

    it('lets a partition given back while still releasing finish in its actor, and keeps it assigned', async () => {
      const { actor } = await reachAssigned();
      sample(actor, 1, 1);
      actor.send(createPartitionsRevokedEvent({ 'hero.kill.dragon': [1] }));
      actor.send(createPartitionsAssignedEvent({ 'hero.kill.dragon': [1] }));
      expect(contextOf(actor).assignment).to.deep.equal({ 'hero.kill.dragon': [0, 1] });
      sample(actor, 1, 0);
      // The releasing actor ended; the partition is ours again and gets a fresh actor at the next move.
      expect(partitionsOf(actor)).to.deep.equal(['partition:hero.kill.dragon/0=idle']);
    });

    it('takes partition moves reported between the join and the end of connectKafka', async () => {
      const connect = createDeferred();
      const { actor } = startConnection({ connect: () => connect.promise });
      actor.send(createConnectEvent());
      actor.send(join({}, 'member-1', 1));
      actor.send(createPartitionsAssignedEvent({ 'hero.kill.dragon': [4] }));
      connect.resolve();
      await waitForState(actor, 'assigned');
      expect(contextOf(actor).assignment).to.deep.equal({ 'hero.kill.dragon': [4] });
      expect(partitionsOf(actor)).to.deep.equal(['partition:hero.kill.dragon/4=idle']);
    });
  });

  describe('stopped', () => {
    it('clears the assignment and membership', async () => {
      const { actor } = await reachAssigned();
      actor.send(createDrainEvent());
      await waitForState(actor, 'stopped');
      expect(contextOf(actor).assignment).to.deep.equal({});
      expect(contextOf(actor).memberId).to.equal(undefined);
    });

    it('stays stopped on another kafka.drain without draining again', async () => {
      const { actor, drainInputs } = await reachAssigned();
      actor.send(createDrainEvent());
      await waitForState(actor, 'stopped');
      actor.send(createDrainEvent('abandon'));
      expect(stateOf(actor)).to.equal('stopped');
      expect(drainInputs).to.have.length(1);
    });

    it('connects again on kafka.connect, with attempts reset and no drain mode', async () => {
      const { actor, connectInputs } = await reachAssigned();
      actor.send(createDrainEvent());
      await waitForState(actor, 'stopped');
      actor.send(createConnectEvent());
      expect(stateOf(actor)).to.equal('connecting');
      expect(contextOf(actor)).to.deep.include({ connectAttempts: 1, drainMode: undefined });
      actor.send(join({ 'hero.kill.dragon': [0] }));
      await waitForState(actor, 'assigned');
      expect(connectInputs).to.have.length(2);
    });
  });

  describe('failed', () => {
    it('keeps lastError and is not ready', async () => {
      const { actor } = await reachFailed();
      expect(contextOf(actor).lastError).to.deep.equal({
        name: 'KafkaJSConnectionError',
        message: 'Connection refused',
      });
      expect(actor.getSnapshot().hasTag('ready')).to.equal(false);
    });

    it('connects again on kafka.connect with attempts reset', async () => {
      const { actor, connectInputs } = await reachFailed();
      actor.send(createConnectEvent());
      expect(stateOf(actor)).to.equal('connecting');
      expect(connectInputs.map((input) => input.connectAttempts)).to.deep.equal([1, 1]);
    });
  });

  describe('.toJSON()', () => {
    const statechart = JSON.parse(JSON.stringify(connectionMachine));

    it('lists every top-level state by name', () => {
      expect(Object.keys(statechart.states)).to.have.members([
        'idle',
        'connecting',
        'connected',
        'assigned',
        'rebalancing',
        'reconnecting',
        'draining',
        'stopped',
        'failed',
      ]);
    });

    it('shows entry actions by name', () => {
      expect(statechart.states.connecting.entry).to.deep.equal([
        { type: 'countConnectAttempt' },
        { type: 'clearMembership' },
        { type: 'dropPartitions' },
      ]);
      expect(statechart.states.rebalancing.entry).to.deep.equal([{ type: 'clearAssignment' }]);
    });

    it('shows transition actions and guards by name', () => {
      expect(statechart.states.assigned.on['kafka.crashed']).to.deep.include.members([
        {
          guard: 'isRestartedByKafka',
          target: ['#connection.reconnecting.restarting'],
          actions: ['detachCommitter', 'reportCrash', 'countCrash', 'recordError'],
          source: '#connection.assigned',
          reenter: false,
          eventType: 'kafka.crashed',
        },
      ]);
      expect(statechart.states.rebalancing.on['kafka.group.joined'][0].actions).to.deep.equal([
        'storeAssignment',
        'syncPartitions',
      ]);
    });

    it('shows the invoked actors, the named delay and the ready tags', () => {
      expect(statechart.states.draining.invoke[0]).to.include({ id: 'drainKafka', src: 'drainKafka' });
      expect(statechart.invoke[0]).to.include({ id: 'listenToKafka', src: 'listenToKafka' });
      expect(
        statechart.states.draining.states.finishing.transitions.map((t: { delay?: string }) => t.delay),
      ).to.include('drainDeadline');
      expect(statechart.states.connecting.states.starting.invoke[0]).to.include({ src: 'connectKafka' });
      expect(
        statechart.states.reconnecting.states.backoff.transitions.map((t: { delay?: string }) => t.delay),
      ).to.include('reconnectBackoff');
      expect(statechart.states.assigned.tags).to.deep.equal(['ready']);
      expect(statechart.states.connected.tags).to.deep.equal(['ready']);
    });
  });
});

describe('computeReconnectBackoffMs()', () => {
  it('doubles from 250 ms per attempt', () => {
    expect([0, 1, 2, 3].map(computeReconnectBackoffMs)).to.deep.equal([250, 500, 1000, 2000]);
  });

  it('never waits more than 10 s, even for unbounded attempts', () => {
    expect(computeReconnectBackoffMs(6)).to.equal(10_000);
    expect(computeReconnectBackoffMs(5000)).to.equal(10_000);
  });
});
