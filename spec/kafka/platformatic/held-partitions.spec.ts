import { expect } from 'chai';
import { HeldPartitions } from '../../../lib/kafka/platformatic/held-partitions';

describe('HeldPartitions', () => {
  it('holds exactly what a join assigned, and nothing after an eager rebalance', () => {
    const held = new HeldPartitions();
    held.joined({ t: [0, 1] });
    expect([...held.keys()]).to.deep.equal(['t:0', 't:1']);
    held.releaseAll();
    expect(held.has('t:0')).to.equal(false);
  });

  it('KIP-848: tells what a heartbeat’s assignment took and gave, and forgets what the taken ones handed over', () => {
    const held = new HeldPartitions();
    held.joined({ t: [0, 1] });
    held.handedOver('t:0', 5n);
    expect(held.follow([{ topic: 't', partitions: [1, 2] }])).to.deep.equal({
      revoked: ['t:0'],
      assigned: ['t:2'],
    });
    expect(held.isHandedOverAlready('t:0', 3n)).to.equal(false);
  });

  it('KIP-848: knows a kept partition’s records handed over already, until it forgets them', () => {
    const held = new HeldPartitions();
    held.joined({ t: [0] });
    held.handedOver('t:0', 5n);
    expect(held.isHandedOverAlready('t:0', 5n)).to.equal(true);
    expect(held.isHandedOverAlready('t:0', 6n)).to.equal(false);
    held.forgetHandedOver('t:0');
    expect(held.isHandedOverAlready('t:0', 5n)).to.equal(false);
  });
});
