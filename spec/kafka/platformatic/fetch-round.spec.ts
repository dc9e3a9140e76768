import { expect } from 'chai';
import {
  fetchRound,
  type FetchingConsumer,
  type ReadState,
} from '../../../lib/kafka/platformatic/fetch-round';
import { toPartitionKey } from '../../../lib/kafka/platformatic/partition-keys';
import { recordsBatch } from './support/records-batch';

interface FetchRequest {
  readonly node: number;
  readonly topics: Array<{ topicId: string; partitions: Array<{ partition: number; fetchOffset: bigint }> }>;
}

/** A client whose topic 't' has a partition per entry of `leaders` (its leader's node), each answered empty. */
function fakeClient(leaders: number[]): {
  requests: FetchRequest[];
  calls: string[];
  native: FetchingConsumer;
} {
  const requests: FetchRequest[] = [];
  const calls: string[] = [];
  const client = {
    async metadata() {
      calls.push('metadata');
      const partitions = leaders.map((leader) => ({ leader }));
      return { topics: new Map([['t', { id: 'id-t', partitions, partitionsCount: leaders.length }]]) };
    },
    async fetch(request: FetchRequest) {
      calls.push(`fetch ${request.node}`);
      requests.push(request);
      return {
        responses: [
          {
            topicId: 'id-t',
            partitions: request.topics[0].partitions.map(({ partition, fetchOffset }) => ({
              partitionIndex: partition,
              records: [recordsBatch(Number(fetchOffset), 1)],
              highWatermark: 9n,
              abortedTransactions: [],
            })),
          },
        ],
      };
    },
  };
  return { requests, calls, native: client as unknown as FetchingConsumer };
}

/** The state of a read of 't' at `positions` (per partition), `paused` ones left out. */
function readState(positions: bigint[], paused: number[] = [], calls: string[] = []): ReadState {
  let rotation = 0;
  return {
    topics: ['t'],
    positions: new Map(positions.map((position, partition) => [toPartitionKey('t', partition), position])),
    paused: new Set(paused.map((partition) => toPartitionKey('t', partition))),
    maxBytesPerPartition: undefined,
    seeksOf: () => 0,
    nextRotation: () => rotation++,
    addPartitions: (gained) => calls.push(`gained ${gained.map(({ partition }) => partition).join(',')}`),
  };
}

describe('fetchRound()', () => {
  it('asks each partition leader once, for its partitions at their positions', async () => {
    const { requests, native } = fakeClient([1, 2, 1]);
    const parts = await fetchRound(native, readState([5n, 6n, 7n]));
    expect(requests.map(({ node }) => node)).to.deep.equal([1, 2]);
    expect(
      requests[0].topics[0].partitions.map(({ partition, fetchOffset }) => [partition, fetchOffset]),
    ).to.deep.equal([
      [0, 5n],
      [2, 7n],
    ]);
    expect(parts?.map(({ request }) => [request.partition, request.from])).to.deep.equal([
      [0, 5n],
      [2, 7n],
      [1, 6n],
    ]);
    expect(parts?.[0].highWatermark).to.equal(9n);
  });

  it('asks nothing for paused partitions, and nothing at all when every one is paused', async () => {
    const { requests, native } = fakeClient([1, 1]);
    await fetchRound(native, readState([0n, 0n], [0]));
    expect(requests[0].topics[0].partitions.map(({ partition }) => partition)).to.deep.equal([1]);
    expect(await fetchRound(native, readState([0n, 0n], [0, 1]))).to.equal(undefined);
    expect(requests).to.have.length(1);
  });

  it('reads the partitions the topic gained from their start, reporting them before it fetches', async () => {
    const { requests, calls, native } = fakeClient([1, 1, 1]);
    const read = readState([4n], [], calls);
    await fetchRound(native, read);
    expect(calls).to.deep.equal(['metadata', 'gained 1,2', 'fetch 1']);
    expect([...read.positions]).to.deep.equal([
      [toPartitionKey('t', 0), 4n],
      [toPartitionKey('t', 1), 0n],
      [toPartitionKey('t', 2), 0n],
    ]);
    expect(requests[0].topics[0].partitions.map(({ partition }) => partition)).to.deep.equal([0, 1, 2]);
  });

  it('turns the order partitions are asked in, round by round', async () => {
    const { requests, native } = fakeClient([1, 1, 1]);
    const read = readState([0n, 0n, 0n]);
    await fetchRound(native, read);
    await fetchRound(native, read);
    expect(
      requests.map(({ topics }) => topics[0].partitions.map(({ partition }) => partition)),
    ).to.deep.equal([
      [0, 1, 2],
      [1, 2, 0],
    ]);
  });

  it('fails, to be tried again, while no partition has a leader', async () => {
    const { native } = fakeClient([-1]);
    await fetchRound(native, readState([0n])).then(
      () => expect.fail('the round fetched'),
      (error: Error) => expect(error.message).to.equal('no partition of t has a leader now'),
    );
  });
});
