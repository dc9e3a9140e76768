import { expect } from 'chai';
import { toGroupJoinedEvent } from '../../../lib/kafka/platformatic/group-events';

describe('toGroupJoinedEvent()', () => {
  it('gives the whole assignment by topic, partitions sorted, with the generation', () => {
    expect(
      toGroupJoinedEvent({
        memberId: 'm-1',
        generationId: 7,
        assignments: [
          { topic: 'a', partitions: [2, 0] },
          { topic: 'b', partitions: [1] },
          { topic: 'a', partitions: [1] },
        ],
      }),
    ).to.deep.equal({
      type: 'group.joined',
      memberId: 'm-1',
      generationId: 7,
      assignment: { a: [0, 1, 2], b: [1] },
    });
  });

  it('gives an empty assignment for a member that got no partitions', () => {
    expect(toGroupJoinedEvent({ memberId: 'm-2' })).to.deep.equal({
      type: 'group.joined',
      memberId: 'm-2',
      assignment: {},
    });
  });
});
