import { expect } from 'chai';
import { createKafkaConnection } from '../../lib/connection/create-kafka-connection';
import type { KafkaConnection } from '../../lib/connection/kafka-connection';
import { RxKafkaError } from '../../lib/errors';
import { silentLogger } from '../../lib/logger';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';

const eachBatch = async (): Promise<void> => undefined;

describe('createKafkaConnection()', () => {
  let driver: FakeKafkaDriver;
  const open: KafkaConnection[] = [];

  beforeEach(() => {
    driver = new FakeKafkaDriver();
  });

  afterEach(async () => {
    for (const connection of open.splice(0)) {
      await connection.close('abandon');
      connection.dispose();
    }
  });

  function track(connection: KafkaConnection): KafkaConnection {
    open.push(connection);
    return connection;
  }

  const source = () => ({
    driver,
    clientId: 'orders-server',
    logger: silentLogger,
    groupId: 'orders',
    producerConfig: { idempotent: true },
    consumerConfig: { groupId: 'orders', sessionTimeout: 30_000 },
    runConfig: { autoCommitInterval: 1_000 },
    subscribeConfig: { fromBeginning: true },
  });

  context('for a producer', () => {
    it('creates a producer with the source’s settings and no consumer', async () => {
      const connection = track(createKafkaConnection(source(), { kind: 'producer' }));
      await connection.connect();
      expect(connection.state).to.equal('connected');
      expect(driver.producer.settings.librarySettings).to.deep.equal({ idempotent: true });
      expect(driver.consumers).to.have.length(0);
    });
  });

  context('for a consumer', () => {
    it('joins the source’s group with its consumer settings, subscribed to the role’s topics', async () => {
      const connection = track(
        createKafkaConnection(source(), { kind: 'consumer', topics: ['orders.placed'], eachBatch }),
      );
      await connection.connect();
      expect(connection.state).to.equal('assigned');
      expect(driver.consumer.settings).to.deep.include({
        groupId: 'orders',
        librarySettings: { groupId: 'orders', sessionTimeout: 30_000 },
      });
      expect(driver.consumer.topics).to.deep.equal(['orders.placed']);
      expect(driver.producer.connected).to.equal(true);
    });

    it('takes the role’s group and producer choice over the source’s (a throwaway read)', async () => {
      const connection = track(
        createKafkaConnection(source(), {
          kind: 'consumer',
          groupId: 'replay-1',
          topics: ['orders.placed'],
          produces: false,
          eachBatch,
        }),
      );
      await connection.connect();
      expect(driver.consumer.settings.groupId).to.equal('replay-1');
      expect(driver.producer.connected).to.equal(false);
    });

    it('fails with RXK_INVALID_OPTIONS when neither the source nor the role names a group', () => {
      const { groupId: _groupId, ...withoutGroup } = source();
      expect(() => createKafkaConnection(withoutGroup, { kind: 'consumer', topics: ['t'], eachBatch }))
        .to.throw(RxKafkaError)
        .with.property('code', 'RXK_INVALID_OPTIONS');
    });
  });
});
