import { expect } from 'chai';
import type { Message, PartitionerArgs } from 'kafkajs';
import { PartitionRecorder } from '../../../lib/kafka/kafkajs/partition-recorder';

const partitionMetadata: PartitionerArgs['partitionMetadata'] = [0, 1, 2].map((partitionId) => ({
  partitionId,
  leader: 1,
  partitionErrorCode: 0,
  replicas: [1],
  isr: [1],
}));

describe('PartitionRecorder', () => {
  describe('.wrap()', () => {
    it('returns the inner partitioner’s choice and records it for the message', () => {
      const recorder = new PartitionRecorder();
      const choose = recorder.wrap(() => () => 2)();
      const message: Message = { value: 'a' };
      expect(choose({ topic: 't', partitionMetadata, message })).to.equal(2);
      expect(recorder.partitionOf(message)).to.equal(2);
    });

    it('keeps a message on its first partition when kafkajs partitions it again on a retry', () => {
      const recorder = new PartitionRecorder();
      let next = 0;
      const choose = recorder.wrap(() => () => next++)();
      const message: Message = { value: 'a' };
      expect(choose({ topic: 't', partitionMetadata, message })).to.equal(0);
      expect(choose({ topic: 't', partitionMetadata, message })).to.equal(0);
      expect(recorder.partitionOf(message)).to.equal(0);
    });

    it('chooses again when the pinned partition is no longer in the metadata', () => {
      const recorder = new PartitionRecorder();
      let next = 2;
      const choose = recorder.wrap(() => () => next--)();
      const message: Message = { value: 'a' };
      choose({ topic: 't', partitionMetadata, message });
      expect(choose({ topic: 't', partitionMetadata: partitionMetadata.slice(0, 2), message })).to.equal(1);
      expect(recorder.partitionOf(message)).to.equal(1);
    });

    it('wraps kafkajs’s default partitioner when given none (a key always lands on the same partition)', () => {
      const recorder = new PartitionRecorder();
      const choose = recorder.wrap()();
      const first: Message = { key: 'hero-7', value: 'a' };
      const second: Message = { key: 'hero-7', value: 'b' };
      const partition = choose({ topic: 't', partitionMetadata, message: first });
      choose({ topic: 't', partitionMetadata, message: second });
      expect(recorder.partitionOf(first)).to.equal(partition).and.equal(recorder.partitionOf(second));
    });
  });

  describe('.partitionOf()', () => {
    it('knows nothing of a message never partitioned', () => {
      expect(new PartitionRecorder().partitionOf({ value: 'a' })).to.equal(undefined);
    });
  });
});
