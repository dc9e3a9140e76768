import { expect } from 'chai';
import { loadPlatformatic } from '../../../lib/kafka/platformatic/platformatic-library';
import {
  CONCURRENT_TRANSACTIONS_RETRY_MS,
  isConcurrentTransactions,
  retryingConcurrentTransactions,
  toTransactionalRetries,
  toTransactionalRetryDelay,
} from '../../../lib/kafka/platformatic/transactional-retries';

const { MultipleErrors, NetworkError, ProtocolError } = loadPlatformatic();

/** The library's error after `attempts` all failed with these errors. */
function exhausted(...errors: Error[]): Error {
  return new MultipleErrors(`addPartitionsToTransaction failed ${errors.length} times.`, errors);
}

describe('platformatic transactional retries', () => {
  describe('isConcurrentTransactions()', () => {
    it('is true for CONCURRENT_TRANSACTIONS, bare or after retries', () => {
      expect(isConcurrentTransactions(new ProtocolError('CONCURRENT_TRANSACTIONS'))).to.equal(true);
      expect(
        isConcurrentTransactions(
          exhausted(
            new ProtocolError('CONCURRENT_TRANSACTIONS'),
            new ProtocolError('CONCURRENT_TRANSACTIONS'),
          ),
        ),
      ).to.equal(true);
    });

    it('is false when an attempt met a final error (the library stopped there)', () => {
      expect(
        isConcurrentTransactions(
          exhausted(new ProtocolError('CONCURRENT_TRANSACTIONS'), new ProtocolError('PRODUCER_FENCED')),
        ),
      ).to.equal(false);
    });

    it('is false for anything else', () => {
      expect(isConcurrentTransactions(new NetworkError('Connection closed'))).to.equal(false);
      expect(isConcurrentTransactions(new Error('unexpected'))).to.equal(false);
    });
  });

  describe('toTransactionalRetryDelay()', () => {
    it('waits 20 ms after CONCURRENT_TRANSACTIONS, the user delay after anything else', () => {
      const fixed = toTransactionalRetryDelay(300);
      expect(
        fixed({}, 'addPartitionsToTransaction', 1, 5, new ProtocolError('CONCURRENT_TRANSACTIONS')),
      ).to.equal(CONCURRENT_TRANSACTIONS_RETRY_MS);
      expect(fixed({}, 'metadata', 1, 5, new NetworkError('down'))).to.equal(300);
      const doubling = toTransactionalRetryDelay((_client, _operation, attempt) => 100 * attempt);
      expect(doubling({}, 'metadata', 3, 5, new NetworkError('down'))).to.equal(300);
    });

    it("falls back to the library's own default delay", () => {
      expect(toTransactionalRetryDelay(undefined)({}, 'metadata', 1, 5, new NetworkError('down'))).to.equal(
        1_000,
      );
    });
  });

  it("toTransactionalRetries() bounds the library's retries: kafkajs's 5 by default, never 'forever'", () => {
    expect(toTransactionalRetries(undefined)).to.equal(5);
    expect(toTransactionalRetries(8)).to.equal(8);
    // @platformatic/kafka retries an idempotent producer's requests without end when told 0 or 1.
    expect(toTransactionalRetries(0)).to.equal(2);
    expect(toTransactionalRetries(1)).to.equal(2);
  });

  describe('retryingConcurrentTransactions()', () => {
    it('runs the step again while it fails with CONCURRENT_TRANSACTIONS', async () => {
      let calls = 0;
      const result = await retryingConcurrentTransactions(
        () => {
          calls += 1;
          if (calls < 3) return Promise.reject(new ProtocolError('CONCURRENT_TRANSACTIONS'));
          return Promise.resolve('done');
        },
        { everyMs: 1, forMs: 1_000 },
      );
      expect(result).to.equal('done');
      expect(calls).to.equal(3);
    });

    it('throws any other error at once, and CONCURRENT_TRANSACTIONS once the time is up', async () => {
      let calls = 0;
      const fenced = new ProtocolError('PRODUCER_FENCED');
      const failed = await retryingConcurrentTransactions(
        () => {
          calls += 1;
          return Promise.reject(fenced);
        },
        { everyMs: 1, forMs: 1_000 },
      ).catch((error: unknown) => error);
      expect(failed).to.equal(fenced);
      expect(calls).to.equal(1);
      const busy = new ProtocolError('CONCURRENT_TRANSACTIONS');
      const timedOut = await retryingConcurrentTransactions(() => Promise.reject(busy), {
        everyMs: 5,
        forMs: 20,
      }).catch((error: unknown) => error);
      expect(timedOut).to.equal(busy);
    });
  });
});
