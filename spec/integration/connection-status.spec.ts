import { expect } from 'chai';
import { Container } from 'inversify';
import {
  Controller,
  ConnectionStatus,
  ConnectionTransition,
  EventPattern,
  KafkaServer,
  silentLogger,
} from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { specDriver } from '../support/spec-driver';
import { createTopics, uniqueName } from '../support/kafka-fixtures';

function createSinkController(topic: string) {
  @Controller()
  class SinkController {
    @EventPattern(topic)
    sink(): void {}
  }
  return SinkController;
}

describe('connection status across connect → rebalance → close (integration)', () => {
  it('reports connecting, connected, rebalancing, connected, draining, stopped', async () => {
    const { brokers } = await useTestBroker();
    const topic = uniqueName('status');
    await createTopics([{ topic, numPartitions: 2 }]);
    const groupId = uniqueName('status-group');
    const servers = [0, 1].map(() => {
      const container = new Container();
      container.bind(createSinkController(topic)).toSelf();
      return new KafkaServer(container, {
        ...specDriver(),
        client: { brokers: [...brokers] },
        consumer: { groupId },
        logger: silentLogger,
      });
    });
    const [first, second] = servers;

    const statuses: ConnectionStatus[] = [];
    const transitions: ConnectionTransition[] = [];
    const listening = first.listen();
    first.status$.subscribe((status) => statuses.push(status));
    first.transitions$.subscribe((transition) => transitions.push(transition));
    await listening;
    expect(first.connection.state).to.equal('assigned');
    expect(first.connection.assignment[topic]).to.have.members([0, 1]);

    // A second member makes the group rebalance: the first one gives up a partition.
    await second.listen();
    const deadline = Date.now() + 30_000;
    while (first.connection.state !== 'assigned' || (first.connection.assignment[topic] ?? []).length !== 1) {
      if (Date.now() > deadline) throw new Error(`no rebalance seen: ${statuses.join(' → ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await second.close();
    const report = await first.close();

    expect(statuses).to.include.ordered.members(['connecting', 'connected', 'rebalancing', 'connected']);
    expect(statuses.slice(-2)).to.deep.equal(['draining', 'stopped']);
    expect(report.mode).to.equal('drain');
    const states = transitions.map((t) => t.to);
    expect(states).to.include('rebalancing');
    expect(states.at(-1)).to.equal('stopped');
    for (const transition of transitions) expect(transition.event).to.be.a('string').and.not.equal('');
  });
});

describe('the group generation, as kafkajs reports it (integration)', () => {
  /** Waits until `read()` gives a value `accept` takes; fails with `what` after 30 s. */
  async function waitUntil<T>(read: () => T, accept: (value: T) => boolean, what: string): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (let value = read(); ; value = read()) {
      if (accept(value)) return value;
      if (Date.now() > deadline) throw new Error(`${what}: still ${String(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('is set by the heartbeats after each join (GROUP_JOIN lacks it), and rises with a rebalance', async () => {
    const { brokers } = await useTestBroker();
    const topic = uniqueName('generation');
    await createTopics([{ topic, numPartitions: 2 }]);
    const groupId = uniqueName('generation-group');
    const servers = [0, 1].map(() => {
      const container = new Container();
      container.bind(createSinkController(topic)).toSelf();
      return new KafkaServer(container, {
        ...specDriver(),
        client: { brokers: [...brokers] },
        consumer: { groupId, heartbeatInterval: 300 },
        logger: silentLogger,
      });
    });
    const [first, second] = servers;
    try {
      await first.listen();
      const generationOf = () => first.connection.actor.getSnapshot().context.generationId;
      const firstGeneration = await waitUntil(generationOf, (id) => id !== undefined, 'no generation');
      expect(firstGeneration).to.be.a('number');

      await second.listen();
      const later = await waitUntil(
        generationOf,
        (id) => id !== undefined && id > (firstGeneration ?? 0),
        'no later generation after the second member joined',
      );
      expect(first.connection.state).to.equal('assigned');
      expect(later).to.be.greaterThan(firstGeneration ?? 0);
    } finally {
      await second.close();
      await first.close();
    }
  });
});
