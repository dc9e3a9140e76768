import { expect } from 'chai';
import { RxKafkaError } from '../../lib/errors';
import { resolveExactlyOnceOptions } from '../../lib/exactly-once/exactly-once-options';
import { silentLogger } from '../../lib/logger';
import { resolveClientOptions, resolveServerOptions } from '../../lib/options';
import { checkDriver, createDriver } from '../../lib/options/create-driver';
import { resolveReplayOptions } from '../../lib/replay/replay-options';
import { resolveConsumeOptions } from '../../lib/streams/consume-options';

function invalidOption(work: () => unknown): RxKafkaError {
  try {
    work();
  } catch (error) {
    if (RxKafkaError.isRxKafkaError(error) && error.code === 'RXK_INVALID_OPTIONS') return error;
    throw error;
  }
  throw new Error('expected RXK_INVALID_OPTIONS');
}

const config = { clientId: 'orders', brokers: ['localhost:9092'] };

describe('the driver option', () => {
  describe('checkDriver()', () => {
    it("accepts nothing, 'kafkajs', 'platformatic' and an object with a driver's methods", () => {
      const fake = { createProducer() {}, createConsumer() {}, fetchEndOffsets() {} };
      for (const value of [undefined, 'kafkajs', 'platformatic', fake]) {
        expect(() => checkDriver('driver', value)).to.not.throw();
      }
    });

    it('refuses any other name, saying which ones exist', () => {
      const error = invalidOption(() => checkDriver('driver', 'rdkafka'));
      expect(error.context.path).to.equal('driver');
      expect(error.message).to.contain("'kafkajs', 'platformatic' or a KafkaDriver object");
      expect(error.message).to.contain('"rdkafka"');
    });

    it("refuses an object without a driver's methods, naming the missing ones", () => {
      expect(invalidOption(() => checkDriver('driver', { createProducer() {} })).message).to.contain(
        'createConsumer(), fetchEndOffsets()',
      );
    });
  });

  describe('each front end', () => {
    it("takes driver: 'platformatic' and refuses a bad name (server, client, consume(), replay())", () => {
      expect(resolveServerOptions({ driver: 'platformatic' }).driver).to.equal('platformatic');
      expect(resolveClientOptions({ driver: 'platformatic' }).driver).to.equal('platformatic');
      expect(
        resolveConsumeOptions({ client: config, groupId: 'g', topics: ['t'], driver: 'platformatic' }).driver,
      ).to.equal('platformatic');
      expect(resolveReplayOptions('t', { client: config, driver: 'platformatic' }).driver).to.equal(
        'platformatic',
      );
      for (const resolve of [
        () => resolveServerOptions({ driver: 'kafka' as never }),
        () => resolveClientOptions({ driver: 'kafka' as never }),
        () => resolveReplayOptions('t', { client: config, driver: 'kafka' as never }),
      ]) {
        expect(invalidOption(resolve).context.path).to.equal('driver');
      }
    });

    it("takes driver: 'platformatic' for processExactlyOnce(): its driver runs transactions too", () => {
      const resolved = resolveExactlyOnceOptions({
        client: config,
        groupId: 'g',
        transactionalIdPrefix: 'tx',
        topics: ['t'],
        transform: () => [],
        driver: 'platformatic',
      });
      expect(resolved.driver).to.equal('platformatic');
    });
  });

  describe('createDriver()', () => {
    it('builds the kafkajs driver by default and by name, a platformatic one by name, and keeps an object', () => {
      const kafkajs = createDriver(undefined, config, silentLogger);
      expect(createDriver('kafkajs', config, silentLogger).native).to.be.an('object');
      expect((kafkajs.native as { constructor: { name: string } }).constructor.name).to.equal('Client');
      const platformatic = createDriver('platformatic', config, silentLogger);
      expect((platformatic.native as { Consumer?: unknown }).Consumer).to.be.a('function');
      expect(createDriver(kafkajs, config, silentLogger)).to.equal(kafkajs);
    });

    it('builds a transactional producer on platformatic (connecting nothing until connect())', () => {
      const platformatic = createDriver('platformatic', config, silentLogger);
      const producer = platformatic.createTransactionalProducer({ transactionalId: 'tx-orders-0' });
      expect(producer.transactionalId).to.equal('tx-orders-0');
      expect((producer.native as { constructor: { name: string } }).constructor.name).to.equal('Producer');
      expect(platformatic.checkTransactionalIdAccess).to.be.a('function');
    });

    it('refuses a transactional producer setting @platformatic/kafka has no equivalent for, naming it', () => {
      const platformatic = createDriver('platformatic', config, silentLogger);
      const error = invalidOption(() =>
        platformatic.createTransactionalProducer({
          transactionalId: 'tx-orders-0',
          librarySettings: { transactionalId: 'mine' },
        }),
      );
      expect(error.message).to.contain('producer.transactionalId');
    });

    it('refuses a client option @platformatic/kafka has no equivalent for, naming it', () => {
      const error = invalidOption(() =>
        createDriver('platformatic', { ...config, reauthenticationThreshold: 10_000 }, silentLogger),
      );
      expect(error.message).to.contain('client.reauthenticationThreshold');
    });
  });
});
