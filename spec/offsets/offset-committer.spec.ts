import { expect } from 'chai';
import type { EachBatchPayload } from 'kafkajs';
import type { Logger } from '../../lib/logger';
import { OffsetCommitter, type OffsetCommitterOptions } from '../../lib/offsets/offset-committer';

type Offsets = ReturnType<EachBatchPayload['uncommittedOffsets']>;

/**
 * A consumer group as far as the committer sees it: resolved offsets that a commit marks committed. Each
 * commit waits until the test lets it finish, so what happens while one is in flight can be observed.
 */
class FakeGroup {
  readonly commits: Offsets[] = [];
  readonly #resolved = new Map<string, string>();
  readonly #committed = new Map<string, string>();
  #pending: Array<{ finish: () => void; fail: (error: Error) => void }> = [];

  resolve(partition: number, offset: string): void {
    this.#resolved.set(String(partition), offset);
  }

  get inFlight(): number {
    return this.#pending.length;
  }

  finishCommit(): void {
    const next = this.#pending.shift();
    if (!next) throw new Error('no commit in flight');
    next.finish();
  }

  failCommit(error: Error): void {
    const next = this.#pending.shift();
    if (!next) throw new Error('no commit in flight');
    next.fail(error);
  }

  readonly source = {
    uncommittedOffsets: (): Offsets => {
      const partitions = [...this.#resolved]
        .filter(([partition, offset]) => this.#committed.get(partition) !== offset)
        .map(([partition, offset]) => ({ partition: Number(partition), offset }));
      return { topics: partitions.length > 0 ? [{ topic: 't', partitions }] : [] };
    },
    commitOffsetsIfNecessary: (offsets?: Offsets): Promise<void> => {
      if (!offsets) throw new Error('the committer must name the offsets it commits');
      this.commits.push(offsets);
      return new Promise<void>((resolve, reject) => {
        this.#pending.push({
          finish: () => {
            for (const { partitions } of offsets.topics) {
              for (const { partition, offset } of partitions) this.#committed.set(String(partition), offset);
            }
            resolve();
          },
          fail: reject,
        });
      });
    },
  };
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const ignore = () => undefined;
  return { warnings, debug: ignore, info: ignore, error: ignore, warn: (message) => warnings.push(message) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A committer on a fresh FakeGroup; `options` override the defaults. */
function createCommitter(options: Partial<OffsetCommitterOptions> = {}) {
  const group = new FakeGroup();
  const logger = recordingLogger();
  const committer = new OffsetCommitter({ logger, clientId: 'c', ...options });
  committer.track(group.source);
  return { group, logger, committer };
}

describe('OffsetCommitter', () => {
  it('commits what is resolved when asked, without waiting for the commit', async () => {
    const { group, committer } = createCommitter();
    group.resolve(0, '5');
    committer.request();
    await settle();
    expect(group.commits).to.deep.equal([
      { topics: [{ topic: 't', partitions: [{ partition: 0, offset: '5' }] }] },
    ]);
    expect(group.inFlight).to.equal(1);
  });

  it('keeps one commit in flight and sends the asks made meanwhile together in the next', async () => {
    const { group, committer } = createCommitter();
    group.resolve(0, '1');
    committer.request();
    await settle();
    for (const [partition, offset] of [
      [0, '2'],
      [1, '7'],
      [0, '3'],
    ] as const) {
      group.resolve(partition, offset);
      committer.request();
    }
    await settle();
    expect(group.commits).to.have.length(1);
    group.finishCommit();
    await settle();
    expect(group.commits).to.have.length(2);
    expect(group.commits[1].topics[0].partitions).to.deep.equal([
      { partition: 0, offset: '3' },
      { partition: 1, offset: '7' },
    ]);
    group.finishCommit();
    await settle();
    expect(group.commits, 'nothing left to commit').to.have.length(2);
  });

  it('sends nothing when every resolved offset is committed already', async () => {
    const { group, committer } = createCommitter();
    committer.request();
    await committer.flush();
    expect(group.commits).to.deep.equal([]);
  });

  it('flush() waits for the commit in flight and for one holding everything resolved since', async () => {
    const { group, committer } = createCommitter();
    group.resolve(0, '1');
    committer.request();
    await settle();
    group.resolve(0, '9');
    let flushed = false;
    const flushing = committer.flush().then(() => (flushed = true));
    group.finishCommit();
    await settle();
    expect(flushed, 'flushed before the last offset was committed').to.equal(false);
    expect(group.commits[1].topics[0].partitions).to.deep.equal([{ partition: 0, offset: '9' }]);
    group.finishCommit();
    await flushing;
    expect(group.source.uncommittedOffsets().topics).to.deep.equal([]);
  });

  it('logs a failed commit, keeps the offsets resolved, and commits them on the next ask', async () => {
    const { group, logger, committer } = createCommitter({ clientId: 'member-1', retryDelayMs: 60_000 });
    group.resolve(2, '4');
    committer.request();
    await settle();
    group.failCommit(new Error('The group is rebalancing'));
    await settle();
    expect(logger.warnings).to.have.length(1);
    expect(logger.warnings[0]).to.contain('member-1').and.contain('committing offsets failed');
    committer.request();
    await settle();
    expect(group.commits).to.have.length(2);
    expect(group.commits[1].topics[0].partitions).to.deep.equal([{ partition: 2, offset: '4' }]);
    group.finishCommit();
    committer.stop();
  });

  it('retries a failed commit by itself after retryDelayMs', async () => {
    const { group, committer } = createCommitter({ retryDelayMs: 20 });
    group.resolve(0, '4');
    committer.request();
    await settle();
    group.failCommit(new Error('coordinator moved'));
    while (group.commits.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    group.finishCommit();
    await committer.flush();
    expect(group.source.uncommittedOffsets().topics).to.deep.equal([]);
  });

  it('spaces background commits by minIntervalMs, and flush() does not wait for the interval', async () => {
    const { group, committer } = createCommitter({ minIntervalMs: 60_000 });
    group.resolve(0, '1');
    committer.request();
    await settle();
    group.finishCommit();
    await settle();
    group.resolve(0, '2');
    committer.request();
    await settle();
    expect(group.commits, 'the second ask waits for the interval').to.have.length(1);
    const flushing = committer.flush();
    await settle();
    expect(group.commits).to.have.length(2);
    group.finishCommit();
    await flushing;
    committer.stop();
  });

  it('gives flush() an attempt of its own when the commit in flight fails', async () => {
    const { group, committer } = createCommitter({ retryDelayMs: 60_000 });
    group.resolve(0, '1');
    committer.request();
    await settle();
    group.resolve(0, '2');
    const flushing = committer.flush();
    group.failCommit(new Error('coordinator moved'));
    await settle();
    expect(group.commits, 'flush() sends its own commit').to.have.length(2);
    expect(group.commits[1].topics[0].partitions).to.deep.equal([{ partition: 0, offset: '2' }]);
    group.finishCommit();
    await flushing;
    expect(group.source.uncommittedOffsets().topics).to.deep.equal([]);
  });

  it('commits nothing after detach() until a batch brings a group again', async () => {
    const { group, committer } = createCommitter();
    group.resolve(0, '3');
    committer.detach();
    await committer.flush();
    expect(group.commits).to.deep.equal([]);
    committer.track(group.source);
    const flushing = committer.flush();
    await settle();
    group.finishCommit();
    await flushing;
    expect(group.commits).to.have.length(1);
  });

  it('commits through the group of the latest batch it was given', async () => {
    const before = new FakeGroup();
    const after = new FakeGroup();
    const committer = new OffsetCommitter({ logger: recordingLogger(), clientId: 'c' });
    committer.track(before.source);
    committer.track(after.source);
    after.resolve(3, '8');
    const flushing = committer.flush();
    await settle();
    after.finishCommit();
    await flushing;
    expect(before.commits).to.deep.equal([]);
    expect(after.commits).to.have.length(1);
  });

  context('with floorOf (records of returned batches still unfinished)', () => {
    it('commits a partition no further than its floor, once, then all of it when the floor lifts', async () => {
      const floors = new Map<number, string>([[0, '4']]);
      const { group, committer } = createCommitter({ floorOf: (_topic, partition) => floors.get(partition) });
      group.resolve(0, '9');
      group.resolve(1, '3');
      committer.request();
      await settle();
      group.finishCommit();
      expect(group.commits[0].topics[0].partitions).to.deep.equal([
        { partition: 0, offset: '4' },
        { partition: 1, offset: '3' },
      ]);
      // Asked again with the floor unchanged: nothing new to commit.
      committer.request();
      await settle();
      expect(group.commits).to.have.length(1);

      floors.delete(0);
      committer.request();
      await settle();
      group.finishCommit();
      expect(group.commits[1].topics[0].partitions).to.deep.equal([{ partition: 0, offset: '9' }]);
    });
  });
});
