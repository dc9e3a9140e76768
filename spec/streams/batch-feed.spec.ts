import { expect } from 'chai';
import { PartitionProgressBook } from '../../lib/offsets/partition-progress';
import type { FetchedBatch } from '../../lib/kafka/fetched-batch';
import { silentLogger } from '../../lib/logger';
import { BatchFeed, type FeedHost } from '../../lib/streams/batch-feed';
import type { CommittableRecord } from '../../lib/streams/committable-record';

/** A batch of `count` records whose heartbeat does what `heartbeat` says; resolved offsets are kept. */
function createBatch(count: number, heartbeat: () => Promise<void>) {
  const resolved: string[] = [];
  const payload: FetchedBatch = {
    batch: {
      topic: 't',
      partition: 0,
      highWatermark: String(count),
      messages: Array.from({ length: count }, (_, index) => ({
        key: null,
        value: Buffer.from(String(index)),
        offset: String(index),
        timestamp: '0',
        attributes: 0,
      })),
    },
    resolveOffset: (offset) => void resolved.push(offset),
    heartbeat,
    isRunning: () => true,
    isStale: () => false,
    uncommittedOffsets: () => ({ topics: [] }),
    commitOffsetsIfNecessary: async () => undefined,
  };
  return { payload, resolved };
}

function createHost(bufferSize: number): FeedHost<unknown> & { emitted: Array<CommittableRecord<unknown>> } {
  const emitted: Array<CommittableRecord<unknown>> = [];
  return {
    emitted,
    bufferSize,
    decode: (value) => String(value),
    logger: silentLogger,
    progress: new PartitionProgressBook(),
    counts: { emitted: 0, finished: 0, decodeFailures: 0 },
    mayEmit: () => true,
    isAbandoning: () => false,
    emit: (record) => void emitted.push(record),
    requestCommit: () => undefined,
  };
}

describe('BatchFeed', () => {
  context('when a heartbeat fails while the batch waits for room (a rebalance)', () => {
    it('emits nothing more, waits for the records it emitted, resolves them, then rejects with the error', async () => {
      const rebalance = new Error('The group is rebalancing');
      const { payload, resolved } = createBatch(10, () => Promise.reject(rebalance));
      const host = createHost(2);
      const run = new BatchFeed(payload, host).run();
      let settled = false;
      run.catch(() => undefined).finally(() => (settled = true));
      // The feed heartbeats once a second while it waits.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect(host.emitted).to.have.length(2);
      expect(settled).to.equal(false);
      host.emitted.forEach((record) => record.commit());
      const failure = await run.catch((error: unknown) => error);
      expect(failure).to.equal(rebalance);
      expect(host.emitted).to.have.length(2);
      expect(resolved.at(-1)).to.equal('1');
    });
  });

  it('returns when the member abandons, and ignores a commit() that comes after', async () => {
    const { payload, resolved } = createBatch(1, async () => undefined);
    let abandoning = false;
    const host = { ...createHost(10), isAbandoning: () => abandoning };
    const feed = new BatchFeed(payload, host);
    const run = feed.run();
    await Promise.resolve();
    abandoning = true;
    feed.wake();
    await run;
    abandoning = false;
    host.emitted[0].commit();
    await Promise.resolve();
    expect(resolved).to.deep.equal([]);
    expect(host.counts.finished).to.equal(0);
  });
});
