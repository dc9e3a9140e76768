import { expect } from 'chai';
import { createHook } from 'node:async_hooks';
import type { FetchedBatch } from '../../lib/kafka/fetched-batch';
import { BatchProgress, type ProgressOwner } from '../../lib/offsets/batch-progress';

function createBatch(offsets: readonly string[], resolved: string[]): FetchedBatch {
  return {
    batch: {
      topic: 'orders',
      partition: 0,
      highWatermark: '100',
      messages: offsets.map((offset) => ({ offset }) as FetchedBatch['batch']['messages'][number]),
    },
    resolveOffset: (offset) => {
      resolved.push(offset);
    },
    heartbeat: () => Promise.resolve(),
    isRunning: () => true,
    isStale: () => false,
    uncommittedOffsets: () => ({ topics: [] }),
    commitOffsetsIfNecessary: () => Promise.resolve(),
  };
}

const owner: ProgressOwner = {
  isAbandoning: () => false,
  countFinished: () => undefined,
  rewind: () => undefined,
  requestCommit: () => undefined,
};

function createAck(): { promise: Promise<void>; resolve(): void; reject(error: unknown): void } {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { promise, resolve, reject };
}

async function isSettled(work: Promise<unknown>): Promise<boolean> {
  let settled = false;
  work.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let turn = 0; turn < 10; turn++) await Promise.resolve();
  return settled;
}

async function rejectionOf(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('BatchProgress', () => {
  describe('.settle()', () => {
    it('resolves at once when no acknowledgement is due', async () => {
      const progress = new BatchProgress(createBatch(['0'], []), owner);
      progress.finish(0);
      expect(await isSettled(progress.settle())).to.equal(true);
    });

    it('waits for every acknowledgement, then resolves the finished prefix', async () => {
      const resolved: string[] = [];
      const progress = new BatchProgress(createBatch(['0', '1'], resolved), owner);
      const [first, second] = [createAck(), createAck()];
      const released: number[] = [];
      progress.finishWhenAcked(0, first.promise, () => released.push(0));
      progress.finishWhenAcked(1, second.promise, () => released.push(1));
      const settled = progress.settle();
      first.resolve();
      expect(await isSettled(settled)).to.equal(false);
      second.resolve();
      await settled;
      expect(released).to.deep.equal([0, 1]);
      expect(resolved.at(-1)).to.equal('1');
      expect(progress.hasUnfinished).to.equal(false);
    });

    it('counts a failed acknowledgement as settled, and the batch as failed', async () => {
      const progress = new BatchProgress(createBatch(['0'], []), owner);
      const ack = createAck();
      progress.finishWhenAcked(0, ack.promise, () => undefined);
      const settled = progress.settle();
      const failure = new Error('leader moved');
      ack.reject(failure);
      await settled;
      expect(progress.failed).to.equal(true);
      expect(() => progress.throwIfFailed()).to.throw(failure);
    });

    it('rejects with what a release threw, now and at a later settle()', async () => {
      const progress = new BatchProgress(createBatch(['0', '1'], []), owner);
      const [first, second] = [createAck(), createAck()];
      const thrown = new Error('release failed');
      progress.finishWhenAcked(0, first.promise, () => {
        throw thrown;
      });
      progress.finishWhenAcked(1, second.promise, () => undefined);
      const settled = progress.settle();
      first.resolve();
      expect(await rejectionOf(settled)).to.equal(thrown);
      second.resolve();
      expect(await rejectionOf(progress.settle())).to.equal(thrown);
    });

    it('makes no promise per acknowledgement when it waits (with a tracer SDK, async_hooks runs for each)', async () => {
      const progress = new BatchProgress(createBatch(['0', '1', '2', '3'], []), owner);
      const acks = [createAck(), createAck(), createAck(), createAck()];
      acks.forEach((ack, index) => progress.finishWhenAcked(index, ack.promise, () => undefined));
      let promises = 0;
      const hook = createHook({
        init: (_id, type) => {
          if (type === 'PROMISE') promises += 1;
        },
      }).enable();
      let settled: Promise<void>;
      try {
        settled = progress.settle();
      } finally {
        hook.disable();
      }
      acks.forEach((ack) => ack.resolve());
      await settled;
      // settle()'s own promise, its await and the promise it waits on; a Promise.all over the four
      // acknowledgements made four more.
      expect(promises).to.equal(3);
    });
  });
});
