import { expect } from 'chai';
import { DEFAULT_RETRY_POLICY } from '../../lib/handlers/retry-policy';

describe('DEFAULT_RETRY_POLICY', () => {
  it('is frozen', () => {
    expect(Object.isFrozen(DEFAULT_RETRY_POLICY)).to.equal(true);
  });
});
