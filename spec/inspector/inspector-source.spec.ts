import { expect } from 'chai';
import { Container } from 'inversify';
import { Controller, EventPattern, KafkaServer, consume, registerControllers, silentLogger } from '../../lib';
import { connectionOf, namedConnectionsOf, nameSources } from '../../lib/inspector/inspector-source';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { eventually } from '../reliability/support/eventually';

describe('inspector sources', () => {
  describe('a consume() stream', () => {
    it('is named "stream" and shows the connection of its live subscription, none before', async () => {
      const stream = consume({
        driver: new FakeKafkaDriver(),
        groupId: 'g',
        topics: ['t'],
        logger: silentLogger,
      });
      expect(nameSources([stream]).map(({ name }) => name)).to.deep.equal(['stream']);
      expect(connectionOf(stream)).to.equal(undefined);
      const subscription = stream.subscribe();
      await eventually(() => connectionOf(stream)?.state === 'assigned', 'the join', 5_000);
      expect(connectionOf(stream)).to.equal(stream.connection);
      subscription.unsubscribe();
      await eventually(() => stream.lastReport !== undefined, 'the stop', 5_000);
      expect(connectionOf(stream)).to.equal(undefined);
    });
  });

  describe('a server with exactly-once handlers', () => {
    it('shows its exactly-once member beside its connection, as "<name>.exactly-once"', async () => {
      @Controller()
      class BillingController {
        @EventPattern('payments', { exactlyOnce: true })
        invoice(): void {}

        @EventPattern('audits')
        audit(): void {}
      }
      const container = new Container();
      registerControllers(container, [BillingController]);
      const server = new KafkaServer(container, { driver: new FakeKafkaDriver(), logger: silentLogger });
      expect(namedConnectionsOf('billing', server)).to.deep.equal([]);
      await server.listen();
      try {
        const named = namedConnectionsOf('billing', server);
        expect(named.map(([name]) => name)).to.deep.equal(['billing', 'billing.exactly-once']);
        expect(named.map(([, connection]) => connection)).to.deep.equal([...server.connections]);
      } finally {
        await server.close();
      }
    });
  });
});
