import { expect } from 'chai';
import { isConcurrentTransactions, sendOffsetsRetrying } from '../../../lib/kafka/kafkajs/send-offsets-retry';

const concurrent = () =>
  Object.assign(
    new Error(
      'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
    ),
    {
      name: 'KafkaJSProtocolError',
      type: 'CONCURRENT_TRANSACTIONS',
      code: 51,
    },
  );

/** What `promise` rejected with; fails when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('sendOffsetsRetrying() (the kafkajs #430/#1068 workaround)', () => {
  it('recognises CONCURRENT_TRANSACTIONS by type or code, also wrapped', () => {
    expect(isConcurrentTransactions(concurrent())).to.equal(true);
    expect(isConcurrentTransactions({ code: 51 })).to.equal(true);
    expect(
      isConcurrentTransactions(Object.assign(new Error('retries exceeded'), { cause: concurrent() })),
    ).to.equal(true);
    expect(isConcurrentTransactions(Object.assign(new Error('fenced'), { code: 47 }))).to.equal(false);
  });

  it('sends again while the coordinator answers CONCURRENT_TRANSACTIONS, and reports the retries', async () => {
    let calls = 0;
    const result = await sendOffsetsRetrying(
      async () => {
        calls += 1;
        if (calls < 3) throw concurrent();
      },
      { everyMs: 1, forMs: 1_000 },
    );
    expect(calls).to.equal(3);
    expect(result.retries).to.equal(2);
  });

  it('throws any other error at once', async () => {
    let calls = 0;
    const fenced = Object.assign(new Error('old epoch'), { type: 'INVALID_PRODUCER_EPOCH', code: 47 });
    const sent = sendOffsetsRetrying(
      async () => {
        calls += 1;
        throw fenced;
      },
      { everyMs: 1, forMs: 1_000 },
    );
    expect(await rejection(sent)).to.equal(fenced);
    expect(calls).to.equal(1);
  });

  it('gives up with the last error once its time is spent', async () => {
    const sent = sendOffsetsRetrying(
      async () => {
        throw concurrent();
      },
      { everyMs: 5, forMs: 30 },
    );
    expect(await rejection(sent)).to.have.property('code', 51);
  });
});
