import { expect } from 'chai';
import { consume, silentLogger } from '../../lib';
import { connectionOf, nameSources } from '../../lib/inspector/inspector-source';
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
});
