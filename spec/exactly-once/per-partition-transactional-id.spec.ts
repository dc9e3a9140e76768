import { expect } from 'chai';
import { toPerPartitionTransactionalId } from '../../lib/exactly-once/per-partition-transactional-id';

describe('toPerPartitionTransactionalId() (the fence without KIP-447)', () => {
  it('derives the id from the prefix and the input partition alone, the same for every member', () => {
    expect(toPerPartitionTransactionalId('billing', 'orders', 2)).to.equal('billing-orders-2');
  });

  it('gives each input partition its own id', () => {
    const ids = [0, 1, 2].map((partition) => toPerPartitionTransactionalId('billing', 'orders', partition));
    expect(new Set(ids).size).to.equal(3);
  });
});
