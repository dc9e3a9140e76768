import { expect } from 'chai';
import { resolveConsumeOptions, type ConsumeOptions } from '../../lib/streams/consume-options';
import { consume } from '../../lib/streams/record-stream';
import { EVERY_CLIENT_KEY, EVERY_CONSUMER_KEY_BUT_GROUP_ID, typosIn } from '../options/kafka-config-fixtures';

const VALID = { groupId: 'orders-projector', topics: ['orders'] };

describe('resolveConsumeOptions()', () => {
  describe('kafkajs configs (client, consumer)', () => {
    for (const { options, path, suggestion } of typosIn('client', 'consumer')) {
      it(`rejects ${path} at consume(), before any connection, suggesting the key meant`, () => {
        expect(() => consume({ ...VALID, ...options } as ConsumeOptions))
          .to.throw(`unknown option '${path}': ${suggestion}`)
          .with.property('code', 'RXK_INVALID_OPTIONS');
      });
    }

    it('accepts every key kafkajs takes', () => {
      const resolved = resolveConsumeOptions({
        ...VALID,
        client: EVERY_CLIENT_KEY,
        consumer: EVERY_CONSUMER_KEY_BUT_GROUP_ID,
      });
      expect(resolved.kafkaConfig).to.have.all.keys(Object.keys(EVERY_CLIENT_KEY));
      expect(resolved.consumerConfig).to.have.all.keys([
        ...Object.keys(EVERY_CONSUMER_KEY_BUT_GROUP_ID),
        'groupId',
      ]);
    });
  });
});
