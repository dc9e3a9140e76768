import { expect } from 'chai';
import { KafkaConnection } from '../../lib/connection/kafka-connection';
import { relayToStately, type StatelyInspectionEvent } from '../../lib/inspector/stately-events';
import { silentLogger } from '../../lib/logger';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';

describe('relayToStately() (on a fake driver)', () => {
  it('announces the connection actor with its definition, then its events, snapshots and partition actors', async () => {
    const driver = new FakeKafkaDriver();
    const connection = new KafkaConnection({
      driver,
      clientId: 'orders-server',
      logger: silentLogger,
      consumer: {
        groupId: 'orders',
        topics: ['orders.placed'],
        fromBeginning: true,
        eachBatch: async () => undefined,
      },
    });
    const sent: StatelyInspectionEvent[] = [];
    const stop = relayToStately(connection, (event) => sent.push(event));
    await connection.connect();
    stop();
    const countBefore = sent.length;
    await connection.close('abandon');
    connection.dispose();
    expect(sent.length).to.equal(countBefore);

    for (const event of sent) {
      expect(event).to.include({ id: null, _version: '0.7.2' });
      expect(event.rootId).to.equal(connection.actor.sessionId);
      expect(Number(event.createdAt)).to.be.closeTo(Date.now(), 60_000);
    }
    const [first] = sent;
    expect(first.type).to.equal('@xstate.actor');
    if (first.type !== '@xstate.actor') return;
    expect(first).to.include({
      name: 'orders-server',
      sessionId: connection.actor.sessionId,
      parentId: undefined,
    });
    const definition = JSON.parse(first.definition ?? '{}') as {
      id: string;
      states: Record<string, unknown>;
    };
    expect(definition.id).to.equal('connection');
    expect(Object.keys(definition.states)).to.include.members(['connecting', 'assigned', 'draining']);

    const events = sent
      .filter((event) => event.type === '@xstate.event')
      .map((event) => (event.event as { type: string }).type);
    expect(events).to.include.members(['kafka.connect', 'kafka.group.joined']);
    const snapshots = sent.filter(
      (event) => event.type === '@xstate.snapshot' && event.sessionId === connection.actor.sessionId,
    );
    expect(
      snapshots.map((event) =>
        event.type === '@xstate.snapshot' ? (event.snapshot as { value: unknown }).value : '',
      ),
    ).to.deep.include('assigned');

    const partition = sent.find(
      (event) => event.type === '@xstate.actor' && event.name === 'partition:orders.placed/0',
    );
    expect(partition, 'the partition actor, announced when spawned').to.not.equal(undefined);
    expect(partition).to.include({ parentId: connection.actor.sessionId });
    // Every actor is announced before any of its events or snapshots, and only once.
    const seen = new Set<string>();
    for (const event of sent) {
      if (event.type === '@xstate.actor') {
        expect(seen.has(event.sessionId), `${event.name} announced twice`).to.equal(false);
        seen.add(event.sessionId);
      } else {
        expect(seen.has(event.sessionId), `${event.type} before its actor`).to.equal(true);
      }
    }
  });
});
