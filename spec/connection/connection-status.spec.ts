import { expect } from 'chai';
import type { KafkaStatus } from '@nestjs/microservices';
import { createActor, fromPromise, type StateValue } from 'xstate';
import { createConnectEvent } from '../../lib/connection/connection-events';
import { connectionMachine, type ConnectionContext } from '../../lib/connection/connection-machine';
import { toConnectionStatus, type ConnectionStatus } from '../../lib/connection/connection-status';

const ALL_STATUSES: readonly ConnectionStatus[] = [
  'disconnected',
  'connecting',
  'connected',
  'rebalancing',
  'reconnecting',
  'draining',
  'stopped',
  'failed',
];

describe('toConnectionStatus()', () => {
  const cases: ReadonlyArray<[StateValue, ConnectionStatus]> = [
    ['idle', 'disconnected'],
    [{ connecting: 'starting' }, 'connecting'],
    [{ connecting: 'joining' }, 'connecting'],
    ['connected', 'connected'],
    ['assigned', 'connected'],
    ['rebalancing', 'rebalancing'],
    [{ reconnecting: 'backoff' }, 'reconnecting'],
    [{ reconnecting: 'restarting' }, 'reconnecting'],
    ['draining', 'draining'],
    ['stopped', 'stopped'],
    ['failed', 'failed'],
  ];

  for (const [value, status] of cases) {
    it(`maps ${JSON.stringify(value)} to ${status}`, () => {
      expect(toConnectionStatus(value)).to.equal(status);
    });
  }

  it('maps every top-level state of the machine to a status', () => {
    for (const state of Object.keys(connectionMachine.root.states)) {
      expect(ALL_STATUSES, state).to.include(toConnectionStatus(state));
    }
  });

  it("reads a live actor's snapshot", () => {
    const machine = connectionMachine.provide({
      actors: {
        connectKafka: fromPromise<void, ConnectionContext>(() => new Promise<void>(() => undefined)),
      },
    });
    const actor = createActor(machine, { input: { clientId: 'heroes-client' } }).start();
    expect(toConnectionStatus(actor.getSnapshot())).to.equal('disconnected');
    actor.send(createConnectEvent());
    expect(toConnectionStatus(actor.getSnapshot())).to.equal('connecting');
    actor.stop();
  });

  it("uses NestJS's KafkaStatus values for the statuses both name", () => {
    // The element type fails to compile if a value left NestJS's KafkaStatus or ours.
    const shared: ReadonlyArray<`${KafkaStatus}` & ConnectionStatus> = [
      'connected',
      'disconnected',
      'rebalancing',
      'stopped',
    ];
    expect(shared.map((status) => ALL_STATUSES.includes(status))).to.deep.equal([true, true, true, true]);
    expect(toConnectionStatus('assigned')).to.equal(shared[0]);
    expect(toConnectionStatus('idle')).to.equal(shared[1]);
  });
});
