import { expect } from 'chai';
import type { FetchedBatch } from '../../lib/kafka/fetched-batch';
import { silentLogger } from '../../lib/logger';
import { ConsumerOffsets } from '../../lib/offsets/consumer-offsets';

/** A fetched batch as far as the offsets owner reads it. */
function createBatch(topic: string, partition: number, offsets: string[]): FetchedBatch {
  return {
    batch: {
      topic,
      partition,
      highWatermark: String(Number(offsets[offsets.length - 1]) + 1),
      messages: offsets.map((offset) => ({ offset })),
    },
    uncommittedOffsets: () => ({ topics: [] }),
    commitOffsetsIfNecessary: async () => undefined,
  } as unknown as FetchedBatch;
}

describe('ConsumerOffsets', () => {
  describe('.recordCommitted()', () => {
    it('keeps each partition’s last commit, also once the partition’s progress is forgotten', () => {
      const offsets = new ConsumerOffsets({ logger: silentLogger, clientId: 'c', autoCommit: false });
      offsets.recordCommitted({ topics: [{ topic: 't', partitions: [{ partition: 0, offset: '3' }] }] });
      offsets.recordCommitted({
        topics: [
          {
            topic: 't',
            partitions: [
              { partition: 1, offset: '7' },
              { partition: 0, offset: '5' },
            ],
          },
        ],
      });
      offsets.progress.forget('t', 0);
      expect(offsets.committed).to.deep.equal([
        { topic: 't', partition: 0, offset: '5' },
        { topic: 't', partition: 1, offset: '7' },
      ]);
      expect(offsets.progress.sample('t', 1).committedOffset).to.equal('7');
    });
  });

  describe('.batchStarted() and .batchEnded()', () => {
    it('counts the batch in flight, then no longer', () => {
      const offsets = new ConsumerOffsets({ logger: silentLogger, clientId: 'c', autoCommit: false });
      const batch = createBatch('t', 2, ['4', '5']);
      offsets.batchStarted(batch);
      expect(offsets.progress.sample('t', 2).inFlight).to.equal(2);
      offsets.batchEnded(batch);
      expect(offsets.progress.sample('t', 2).inFlight).to.equal(0);
    });

    it('records why a failed batch ended', async () => {
      const offsets = new ConsumerOffsets({ logger: silentLogger, clientId: 'c' });
      const batch = createBatch('t', 0, ['1']);
      offsets.batchStarted(batch);
      await offsets.batchFailed(batch, new Error('rebalancing'));
      expect(offsets.progress.sample('t', 0).lastError).to.deep.equal({
        name: 'Error',
        message: 'rebalancing',
      });
    });
  });

  describe('.regroup()', () => {
    it('voids the holds of returned batches: the new generation fetches from the committed offset', () => {
      const offsets = new ConsumerOffsets({ logger: silentLogger, clientId: 'c' });
      offsets.holds.open('t', 0, '3');
      expect(offsets.holds.floorOf('t', 0)).to.equal('3');
      offsets.regroup();
      expect(offsets.holds.floorOf('t', 0)).to.equal(undefined);
    });
  });
});
