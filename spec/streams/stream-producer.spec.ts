import { expect } from 'chai';
import { createProducer, type StreamProducerOptions } from '../../lib/streams/stream-producer';
import {
  EVERY_CLIENT_KEY,
  EVERY_PRODUCER_KEY,
  EVERY_SEND_KEY,
  typosIn,
} from '../options/kafka-config-fixtures';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';

describe('createProducer()', () => {
  describe('kafkajs configs (client, producer, send)', () => {
    for (const { options, path, suggestion } of typosIn('client', 'producer', 'send')) {
      it(`rejects ${path}, before any connection, suggesting the key meant`, () => {
        const driver = new FakeKafkaDriver();
        expect(() => createProducer({ ...options, driver } as StreamProducerOptions))
          .to.throw(`unknown option '${path}': ${suggestion}`)
          .with.property('code', 'RXK_INVALID_OPTIONS');
        expect(driver.producers).to.have.length(0);
      });
    }

    it('accepts every key kafkajs takes', () => {
      const driver = new FakeKafkaDriver();
      createProducer({
        client: EVERY_CLIENT_KEY,
        producer: EVERY_PRODUCER_KEY,
        send: EVERY_SEND_KEY,
        driver,
      });
      expect(driver.producers).to.have.length(1);
      expect(driver.producers[0].settings.librarySettings).to.have.all.keys(Object.keys(EVERY_PRODUCER_KEY));
    });
  });
});
