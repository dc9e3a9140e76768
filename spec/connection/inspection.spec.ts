import { expect } from 'chai';
import type { Subscription } from 'rxjs';
import { createActor, fromPromise, waitFor } from 'xstate';
import {
  createConnectEvent,
  createDrainEvent,
  createGroupJoinedEvent,
  createRebalanceStartedEvent,
} from '../../lib/connection/connection-events';
import {
  connectionMachine,
  type ConnectionContext,
  type ConnectionSnapshot,
} from '../../lib/connection/connection-machine';
import {
  edgeKey,
  listChartEdges,
  observeEdges,
  observeTransitions,
  toStatechart,
  type ConnectionActor,
  type ConnectionTransition,
} from '../../lib/connection/inspection';

interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

function createGate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

function createConnection(connect: Gate, drain: Gate): ConnectionActor {
  const machine = connectionMachine.provide({
    actors: {
      connectKafka: fromPromise(() => connect.promise),
      drainKafka: fromPromise(() => drain.promise),
    },
  });
  return createActor(machine, {
    id: 'heroes',
    input: { clientId: 'heroes-client', groupId: 'heroes-group' },
  });
}

function waitForSnapshot(actor: ConnectionActor, predicate: (snapshot: ConnectionSnapshot) => boolean) {
  return waitFor(actor, predicate, { timeout: 2_000 });
}

function summarize(transitions: readonly ConnectionTransition[]) {
  return transitions.map(({ from, to, event, assignment }) => ({ from, to, event, assignment }));
}

const join = (partitions: number[], memberId = 'member-1') =>
  createGroupJoinedEvent({ assignment: { 'hero.kill.dragon': partitions }, memberId });

describe('observeTransitions()', () => {
  let actor: ConnectionActor;
  let connect: Gate;
  let drain: Gate;
  let subscription: Subscription | undefined;

  beforeEach(() => {
    connect = createGate();
    drain = createGate();
    actor = createConnection(connect, drain);
  });

  afterEach(() => {
    subscription?.unsubscribe();
    subscription = undefined;
    actor.stop();
  });

  it('emits a connect, join, rebalance, join, drain run in order', async () => {
    const seen: ConnectionTransition[] = [];
    subscription = observeTransitions(actor).subscribe((transition) => seen.push(transition));
    actor.start();
    actor.send(createConnectEvent());
    connect.open();
    await waitForSnapshot(actor, (snapshot) => snapshot.matches({ connecting: 'joining' }));
    actor.send(join([0, 1]));
    actor.send(createRebalanceStartedEvent());
    actor.send(join([1]));
    actor.send(createDrainEvent());
    drain.open();
    await waitForSnapshot(actor, (snapshot) => snapshot.matches('stopped'));

    expect(summarize(seen)).to.deep.equal([
      { from: undefined, to: 'idle', event: 'xstate.init', assignment: {} },
      { from: 'idle', to: 'connecting', event: 'kafka.connect', assignment: {} },
      {
        from: 'connecting',
        to: 'assigned',
        event: 'kafka.group.joined',
        assignment: { 'hero.kill.dragon': [0, 1] },
      },
      { from: 'assigned', to: 'rebalancing', event: 'kafka.rebalance.started', assignment: {} },
      {
        from: 'rebalancing',
        to: 'assigned',
        event: 'kafka.group.joined',
        assignment: { 'hero.kill.dragon': [1] },
      },
      { from: 'assigned', to: 'draining', event: 'kafka.drain', assignment: { 'hero.kill.dragon': [1] } },
      { from: 'draining', to: 'stopped', event: 'xstate.done.actor.drainKafka', assignment: {} },
    ]);
  });

  it('names the actor and stamps each transition with the given clock', () => {
    const seen: ConnectionTransition[] = [];
    let tick = 100;
    subscription = observeTransitions(actor, { now: () => tick++ }).subscribe((t) => seen.push(t));
    actor.start();
    actor.send(createConnectEvent());
    expect(seen.map(({ actorId, at }) => ({ actorId, at }))).to.deep.equal([
      { actorId: 'heroes', at: 100 },
      { actorId: 'heroes', at: 101 },
    ]);
  });

  it('emits an assignment change within a state, such as a join before connectKafka resolves', async () => {
    const seen: ConnectionTransition[] = [];
    actor.start();
    actor.send(createConnectEvent());
    subscription = observeTransitions(actor).subscribe((t) => seen.push(t));
    actor.send(join([0]));
    connect.open();
    await waitForSnapshot(actor, (snapshot) => snapshot.matches('assigned'));
    expect(summarize(seen)).to.deep.equal([
      {
        from: 'connecting',
        to: 'connecting',
        event: 'kafka.group.joined',
        assignment: { 'hero.kill.dragon': [0] },
      },
      {
        from: 'connecting',
        to: 'assigned',
        event: 'xstate.done.actor.connectKafka',
        assignment: { 'hero.kill.dragon': [0] },
      },
    ]);
  });

  it('emits nothing for child-state moves or a re-join with the same assignment', async () => {
    const seen: ConnectionTransition[] = [];
    actor.start();
    actor.send(createConnectEvent());
    subscription = observeTransitions(actor).subscribe((t) => seen.push(t));
    connect.open();
    await waitForSnapshot(actor, (snapshot) => snapshot.matches({ connecting: 'joining' }));
    expect(seen).to.deep.equal([]);
    actor.send(join([0]));
    actor.send(join([0], 'member-1'));
    actor.send(join([0, 1]));
    expect(summarize(seen).map(({ from, to }) => [from, to])).to.deep.equal([
      ['connecting', 'assigned'],
      ['assigned', 'assigned'],
    ]);
  });

  it('starts from the current state when subscribed after the actor started', () => {
    const seen: ConnectionTransition[] = [];
    actor.start();
    actor.send(createConnectEvent());
    subscription = observeTransitions(actor).subscribe((t) => seen.push(t));
    actor.send(createDrainEvent('abandon'));
    expect(summarize(seen)).to.deep.equal([
      { from: 'connecting', to: 'draining', event: 'kafka.drain', assignment: {} },
    ]);
  });

  it('stops emitting after unsubscribe', () => {
    const seen: ConnectionTransition[] = [];
    subscription = observeTransitions(actor).subscribe((t) => seen.push(t));
    actor.start();
    subscription.unsubscribe();
    actor.send(createConnectEvent());
    expect(seen.map(({ to }) => to)).to.deep.equal(['idle']);
  });

  it('completes when the actor stops', () => {
    let completed = false;
    actor.start();
    subscription = observeTransitions(actor).subscribe({ complete: () => (completed = true) });
    actor.stop();
    expect(completed).to.equal(true);
  });
});

describe('toStatechart()', () => {
  it("returns the machine's serializable definition", () => {
    const statechart = JSON.parse(JSON.stringify(toStatechart(connectionMachine)));
    expect(statechart).to.deep.equal(JSON.parse(JSON.stringify(connectionMachine)));
    expect(statechart.states.assigned.entry).to.deep.equal([{ type: 'markReady' }]);
  });

  it('describes a provided machine with the same states', () => {
    const provided = connectionMachine.provide({
      actors: { connectKafka: fromPromise<void, ConnectionContext>(async () => undefined) },
    });
    expect(Object.keys(toStatechart(provided).states)).to.deep.equal(
      Object.keys(connectionMachine.toJSON().states),
    );
  });
});

describe('listChartEdges()', () => {
  const edges = listChartEdges(connectionMachine).map(edgeKey);

  it('lists the transitions that move the connection, xstate events and eventless ones included', () => {
    expect(edges).to.include.members([
      'idle --kafka.connect--> connecting',
      'connecting.starting --xstate.done.actor.connectKafka--> assigned',
      'connected --kafka.producer.lost--> reconnecting',
      'reconnecting.backoff --xstate.after.reconnectBackoff.connection.reconnecting.backoff--> connecting',
      'draining.finishing --always--> draining.abandoning',
      'draining.finishing --xstate.after.drainDeadline.connection.draining.finishing--> draining.abandoning',
    ]);
  });

  it('leaves out what moves nothing (an action-only transition) and lists each edge once', () => {
    expect(edges.filter((edge) => edge.startsWith('assigned --kafka.group.joined'))).to.deep.equal([]);
    expect(edges.filter((edge) => edge.startsWith(' --'))).to.deep.equal([]);
    expect(new Set(edges).size).to.equal(edges.length);
  });
});

describe('observeEdges()', () => {
  it('reports each edge the actor takes, child states included, as the chart names it', async () => {
    const connect = createGate();
    const drain = createGate();
    const actor = createConnection(connect, drain);
    const taken: string[] = [];
    const subscription = observeEdges(actor).subscribe((edge) => taken.push(edgeKey(edge)));
    actor.start();
    actor.send(createConnectEvent());
    actor.send(join([0]));
    connect.open();
    await waitForSnapshot(actor, (snapshot) => snapshot.matches('assigned'));
    actor.send(createRebalanceStartedEvent());
    actor.send(join([1]));
    actor.send(createDrainEvent('abandon'));
    drain.open();
    await waitForSnapshot(actor, (snapshot) => snapshot.matches('stopped'));
    subscription.unsubscribe();
    actor.stop();
    expect(taken).to.deep.equal([
      'idle --kafka.connect--> connecting',
      'connecting.starting --xstate.done.actor.connectKafka--> assigned',
      'assigned --kafka.rebalance.started--> rebalancing',
      'rebalancing --kafka.group.joined--> assigned',
      'assigned --kafka.drain--> draining',
      'draining.finishing --always--> draining.abandoning',
      'draining --xstate.done.actor.drainKafka--> stopped',
    ]);
    const chart = new Set(listChartEdges(connectionMachine).map(edgeKey));
    expect(taken.filter((edge) => !chart.has(edge))).to.deep.equal([]);
  });
});
