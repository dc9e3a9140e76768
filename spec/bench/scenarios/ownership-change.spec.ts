import { expect } from 'chai';
import {
  measureOwnershipChange,
  type HandledRecord,
  type OwnershipReport,
} from '../../../bench/scenarios/ownership-change';

/** Three members, two partitions each of 6, at t=0. */
const START: OwnershipReport[] = [
  { member: 'a', atMs: 0, partitions: [0, 1] },
  { member: 'b', atMs: 0, partitions: [2, 3] },
  { member: 'c', atMs: 0, partitions: [4, 5] },
];

function handledEvery10Ms(member: string, partition: number, fromMs: number, toMs: number): HandledRecord[] {
  const records: HandledRecord[] = [];
  for (let atMs = fromMs; atMs <= toMs; atMs += 10) records.push({ member, partition, atMs });
  return records;
}

describe('measureOwnershipChange()', () => {
  it('counts the records handled on the partitions that kept their owner, from the first move to the last', () => {
    // Incremental: d joins at 100; a gives up 1 at 200, d takes it at 300.
    const reports = [
      ...START,
      { member: 'd', atMs: 100, partitions: [] },
      { member: 'a', atMs: 200, partitions: [0] },
      { member: 'd', atMs: 300, partitions: [1] },
    ];
    const handled = [
      ...handledEvery10Ms('b', 2, 0, 1_000),
      ...handledEvery10Ms('a', 1, 0, 190),
      ...handledEvery10Ms('d', 1, 300, 1_000),
    ];
    const change = measureOwnershipChange(reports, handled, 6, 50, 1_000);
    // 200..300: partition 2 handled 11 times; partition 1 moved, so it does not count.
    expect(change).to.deep.equal({ windowMs: 100, unmoved: 5, handledOnUnmoved: 11 });
  });

  it('counts none where every member held nothing while the group rejoined (an eager rebalance)', () => {
    const reports = [
      ...START,
      { member: 'a', atMs: 200, partitions: [] },
      { member: 'b', atMs: 200, partitions: [] },
      { member: 'c', atMs: 200, partitions: [] },
      { member: 'd', atMs: 200, partitions: [] },
      { member: 'a', atMs: 400, partitions: [0] },
      { member: 'b', atMs: 400, partitions: [2, 3] },
      { member: 'c', atMs: 400, partitions: [4, 5] },
      { member: 'd', atMs: 400, partitions: [1] },
    ];
    const handled = [...handledEvery10Ms('b', 2, 0, 190), ...handledEvery10Ms('b', 2, 410, 1_000)];
    expect(measureOwnershipChange(reports, handled, 6, 50, 1_000)).to.deep.equal({
      windowMs: 200,
      unmoved: 5,
      handledOnUnmoved: 0,
    });
  });

  it('ends a change only once every partition has one owner and the owners differ from before', () => {
    const reports = [
      ...START,
      { member: 'a', atMs: 200, partitions: [] },
      // Back to the old owners: not the end of the change, which has not moved anything yet.
      { member: 'a', atMs: 250, partitions: [0, 1] },
      { member: 'c', atMs: 300, partitions: [4] },
      { member: 'd', atMs: 350, partitions: [5] },
    ];
    expect(measureOwnershipChange(reports, [], 6, 50, 1_000)).to.deep.equal({
      windowMs: 150,
      unmoved: 5,
      handledOnUnmoved: 0,
    });
  });

  it('reports no window when the owners before were not complete, or no change completed in time', () => {
    const incomplete = [{ member: 'a', atMs: 0, partitions: [0, 1] }];
    expect(measureOwnershipChange(incomplete, [], 6, 50, 1_000).windowMs).to.equal(undefined);
    const unfinished = [...START, { member: 'a', atMs: 200, partitions: [0] }];
    expect(measureOwnershipChange(unfinished, [], 6, 50, 1_000)).to.deep.equal({
      windowMs: undefined,
      unmoved: 0,
      handledOnUnmoved: 0,
    });
  });
});
