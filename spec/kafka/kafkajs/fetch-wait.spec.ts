import { expect } from 'chai';
import { DEFAULT_FETCH_MAX_WAIT_MS, withFetchMaxWait } from '../../../lib/kafka/kafkajs/fetch-wait';

describe('withFetchMaxWait()', () => {
  it('gives a consumer without maxWaitTimeInMs the 500 ms of Kafka’s Java consumer, not kafkajs’s 5000', () => {
    expect(DEFAULT_FETCH_MAX_WAIT_MS).to.equal(500);
    expect(withFetchMaxWait({ groupId: 'g', sessionTimeout: 10_000 })).to.deep.equal({
      groupId: 'g',
      sessionTimeout: 10_000,
      maxWaitTimeInMs: 500,
    });
    expect(withFetchMaxWait({ groupId: 'g', maxWaitTimeInMs: undefined }).maxWaitTimeInMs).to.equal(500);
  });

  it('keeps the application’s own maxWaitTimeInMs and leaves its object as it was', () => {
    const config = Object.freeze({ groupId: 'g', maxWaitTimeInMs: 5_000 });
    expect(withFetchMaxWait(config)).to.deep.equal({ groupId: 'g', maxWaitTimeInMs: 5_000 });
    const mine = { groupId: 'g' };
    withFetchMaxWait(mine);
    expect(mine).to.deep.equal({ groupId: 'g' });
  });
});
