import { expect } from 'chai';
import { PartitionBatches } from '../../../lib/kafka/platformatic/partition-batches';
import { toPartitionKey } from '../../../lib/kafka/platformatic/partition-keys';
import type { ConsumedMessage } from '../../../lib/kafka/platformatic/platformatic-records';

function message(topic: string, partition: number, offset: number): ConsumedMessage {
  return { topic, partition, offset: BigInt(offset), timestamp: 0n, headers: new Map() };
}

function describeBatches(messages: ConsumedMessage[]): string[] {
  const batches = new PartitionBatches();
  for (const added of messages) batches.add(toPartitionKey(added.topic, added.partition), added);
  return batches
    .toArray()
    .map(
      ({ topic, partition, messages: batch }) =>
        `${topic}/${partition}: ${batch.map((m) => m.offset).join(',')}`,
    );
}

describe('PartitionBatches', () => {
  it('makes one batch per partition, keeping each partition’s order', () => {
    expect(
      describeBatches([
        message('a', 0, 5),
        message('a', 1, 9),
        message('a', 0, 6),
        message('b', 0, 1),
        message('a', 1, 10),
        message('a', 0, 7),
      ]),
    ).to.deep.equal(['a/0: 5,6,7', 'a/1: 9,10', 'b/0: 1']);
  });

  it('keeps apart partitions of the same number in different topics', () => {
    expect(describeBatches([message('a', 0, 1), message('b', 0, 1)])).to.deep.equal(['a/0: 1', 'b/0: 1']);
  });

  it('makes no batch of no records', () => {
    expect(new PartitionBatches().toArray()).to.deep.equal([]);
  });
});
