import { expect } from 'chai';
import {
  TRANSACTIONAL_INITIAL_RETRY_MS,
  toTransactionalProducerConfig,
} from '../../../lib/kafka/kafkajs/transactional-retry-defaults';

describe('toTransactionalProducerConfig() (kafkajs’s 300 ms first retry on CONCURRENT_TRANSACTIONS)', () => {
  it('starts retrying after 20 ms when the user set no initialRetryTime, keeping the rest of retry', () => {
    const config = toTransactionalProducerConfig({ retry: { retries: 8 } }, 'orders-tx-in-0');
    expect(TRANSACTIONAL_INITIAL_RETRY_MS).to.equal(20);
    expect(config.retry).to.deep.equal({ retries: 8, initialRetryTime: 20 });
    expect(toTransactionalProducerConfig({}, 'orders-tx-in-0').retry).to.deep.equal({ initialRetryTime: 20 });
  });

  it('keeps an initialRetryTime the user chose', () => {
    expect(toTransactionalProducerConfig({ retry: { initialRetryTime: 300 } }, 'id').retry).to.deep.equal({
      initialRetryTime: 300,
    });
  });

  it('sets the transactional id, idempotence and one request in flight, which kafkajs transactions need', () => {
    const config = toTransactionalProducerConfig(
      { idempotent: false, maxInFlightRequests: 5, transactionTimeout: 30_000 },
      'orders-tx-in-0',
    );
    expect(config).to.include({
      transactionalId: 'orders-tx-in-0',
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 30_000,
    });
  });

  it('never writes into the user’s config', () => {
    const user = { retry: { retries: 3 } };
    toTransactionalProducerConfig(user, 'id');
    expect(user).to.deep.equal({ retry: { retries: 3 } });
  });
});
