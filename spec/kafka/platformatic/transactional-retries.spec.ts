import { expect } from 'chai';
import { loadPlatformatic } from '../../../lib/kafka/platformatic/platformatic-library';
import {
  isConcurrentTransactions,
  isRetriableAtCoordinator,
  retryingConcurrentTransactions,
  toTransactionalSchedule,
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

  it("toTransactionalSchedule() keeps the user's schedule, kafkajs's 5 retries where unset", () => {
    expect(toTransactionalSchedule({}, {}, 'produce').retries).to.equal(5);
    expect(toTransactionalSchedule({}, {}, 'produce').delayMs(1)).to.equal(1_000);
    const doubling = toTransactionalSchedule(
      { retries: 8, retryDelay: (_client, _operation, attempt) => 100 * attempt },
      {},
      'produce',
    );
    expect([doubling.retries, doubling.delayMs(3)]).to.deep.equal([8, 300]);
    // Nothing is bounded up any more: the library, which read 0 and 1 as "forever", retries nothing.
    expect(toTransactionalSchedule({ retries: 0 }, {}, 'produce').retries).to.equal(0);
  });

  describe('isRetriableAtCoordinator()', () => {
    const lost = new NetworkError('Connection closed');
    it('runs a step again after an answer that says "later"', () => {
      expect(isRetriableAtCoordinator(new ProtocolError('COORDINATOR_LOAD_IN_PROGRESS'), true)).to.equal(
        true,
      );
    });

    it('runs a coordinator lookup again, whatever went wrong', () => {
      expect(isRetriableAtCoordinator(lost, false)).to.equal(true);
      expect(isRetriableAtCoordinator(new ProtocolError('COORDINATOR_NOT_AVAILABLE'), false)).to.equal(true);
    });

    it('gives up once the coordinator it knows is lost or moved: the library would ask it again', () => {
      expect(isRetriableAtCoordinator(lost, true)).to.equal(false);
      expect(isRetriableAtCoordinator(exhausted(new ProtocolError('NOT_COORDINATOR')), true)).to.equal(false);
    });

    it('leaves CONCURRENT_TRANSACTIONS to retryingConcurrentTransactions, and final errors be', () => {
      expect(isRetriableAtCoordinator(new ProtocolError('CONCURRENT_TRANSACTIONS'), true)).to.equal(false);
      expect(isRetriableAtCoordinator(new ProtocolError('PRODUCER_FENCED'), false)).to.equal(false);
    });
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
