import { expect } from 'chai';
import { RxKafkaError } from '../../lib/errors';
import {
  DEFAULT_EXACTLY_ONCE_OPTIONS,
  resolveExactlyOnceOptions,
  type ExactlyOnceOptions,
} from '../../lib/exactly-once/exactly-once-options';

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
});
