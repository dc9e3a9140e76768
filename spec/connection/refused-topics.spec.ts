import { expect } from 'chai';
import { RefusedTopics } from '../../lib/connection/refused-topics';

describe('RefusedTopics', () => {
  it('refuses a topic with its error for the TTL, then forgets it', () => {
    let now = 1_000;
    const refused = new RefusedTopics(10_000, () => now);
    const error = new Error('no such topic');
    refused.refuse('missing', error);
    expect(refused.refusalOf('missing')).to.equal(error);
    expect(refused.refusalOf('other')).to.equal(undefined);
    now += 9_999;
    expect(refused.refusalOf('missing')).to.equal(error);
    now += 1;
    expect(refused.refusalOf('missing')).to.equal(undefined);
  });

  it('forgets a topic once a write to it succeeded', () => {
    const refused = new RefusedTopics();
    refused.refuse('created-meanwhile', new Error('no such topic'));
    refused.accept('created-meanwhile');
    expect(refused.refusalOf('created-meanwhile')).to.equal(undefined);
  });
});
