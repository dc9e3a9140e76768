import { expect } from 'chai';
import { RxKafkaError } from '../../lib/errors';
import {
  DEFAULT_EXACTLY_ONCE_OPTIONS,
  resolveExactlyOnceOptions,
  type ExactlyOnceOptions,
} from '../../lib/exactly-once/exactly-once-options';
import { processExactlyOnce } from '../../lib/exactly-once/exactly-once-processor';
import {
  EVERY_CLIENT_KEY,
  EVERY_CONSUMER_KEY_BUT_GROUP_ID,
  EVERY_PRODUCER_KEY,
  typosIn,
} from '../options/kafka-config-fixtures';

const VALID: ExactlyOnceOptions = {
  client: { brokers: ['localhost:9092'] },
  groupId: 'billing',
  topics: ['orders'],
  transactionalIdPrefix: 'billing-tx',
  transform: () => undefined,
};

/** The RXK_INVALID_OPTIONS error `options` gives. */
function invalid(options: unknown): RxKafkaError {
  try {
    resolveExactlyOnceOptions(options as ExactlyOnceOptions);
  } catch (error) {
    if (RxKafkaError.isRxKafkaError(error) && error.code === 'RXK_INVALID_OPTIONS') return error;
    throw error;
  }
  throw new Error('expected RXK_INVALID_OPTIONS');
}

describe('resolveExactlyOnceOptions()', () => {
  it('fills in the defaults and freezes the result, reading input with read_committed', () => {
    const resolved = resolveExactlyOnceOptions(VALID);
    expect(resolved).to.include(DEFAULT_EXACTLY_ONCE_OPTIONS);
    expect(resolved.consumer).to.deep.equal({ readUncommitted: false });
    expect(Object.isFrozen(resolved)).to.equal(true);
  });

  it('never writes into the caller’s options', () => {
    const consumer = { sessionTimeout: 10_000 };
    resolveExactlyOnceOptions({ ...VALID, consumer });
    expect(consumer).to.deep.equal({ sessionTimeout: 10_000 });
  });

  it('refuses consumer.readUncommitted: true, which would process aborted records', () => {
    const error = invalid({ ...VALID, consumer: { readUncommitted: true } });
    expect(error.context.path).to.equal('consumer.readUncommitted');
    expect(error.message).to.include('read_committed');
  });

  it('names each missing or wrong option', () => {
    expect(invalid({ ...VALID, transactionalIdPrefix: undefined }).context.path).to.equal(
      'transactionalIdPrefix',
    );
    expect(invalid({ ...VALID, groupId: '' }).context.path).to.equal('groupId');
    expect(invalid({ ...VALID, topics: [] }).context.path).to.equal('topics');
    expect(invalid({ ...VALID, transform: 'bill' }).context.path).to.equal('transform');
    expect(invalid({ ...VALID, maxBatchRecords: 0 }).context.path).to.equal('maxBatchRecords');
    expect(invalid({ ...VALID, client: { brokers: [] } }).context.path).to.equal('client.brokers');
    expect(invalid({ ...VALID, consumer: { groupId: 'other' } }).context.path).to.equal('consumer.groupId');
  });

  it('suggests the option a typo meant', () => {
    expect(invalid({ ...VALID, transactionalIdPrefx: 'x' }).message).to.include(
      "did you mean 'transactionalIdPrefix'",
    );
  });

  describe('kafkajs configs (client, consumer, producer)', () => {
    for (const { options, path, suggestion } of typosIn('client', 'consumer', 'producer')) {
      it(`rejects ${path} at processExactlyOnce(), before any connection, suggesting the key meant`, () => {
        const withTypo = { ...VALID, ...options } as ExactlyOnceOptions;
        expect(invalid(withTypo).message).to.equal(`unknown option '${path}': ${suggestion}`);
        expect(() => processExactlyOnce(withTypo))
          .to.throw(`unknown option '${path}'`)
          .with.property('code', 'RXK_INVALID_OPTIONS');
      });
    }

    it('accepts every key kafkajs takes', () => {
      const resolved = resolveExactlyOnceOptions({
        ...VALID,
        client: EVERY_CLIENT_KEY,
        consumer: EVERY_CONSUMER_KEY_BUT_GROUP_ID,
        producer: EVERY_PRODUCER_KEY,
      });
      expect(resolved.client).to.have.all.keys(Object.keys(EVERY_CLIENT_KEY));
      expect(resolved.consumer).to.have.all.keys(Object.keys(EVERY_CONSUMER_KEY_BUT_GROUP_ID));
      expect(resolved.producer).to.have.all.keys(Object.keys(EVERY_PRODUCER_KEY));
    });
  });
});
