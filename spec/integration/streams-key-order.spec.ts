import { expect } from 'chai';
import { map, tap, timer } from 'rxjs';
import { commitAfter, consume, mergeMapByKey, silentLogger, type CommittableRecord } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { specDriver } from '../support/spec-driver';
import { createTopics, produceRecords, uniqueName, withAdmin } from '../support/kafka-fixtures';

const RECORDS = 3_000;
const KEYS = 20;
const PARTITIONS = 4;

/** Which offsets of each partition are finished, and the lowest one that is not. */
class FinishedOffsets {
  readonly #finished = new Map<number, Set<number>>();
  readonly #lowestUnfinished = new Map<number, number>();
  /** Records that finished while a lower offset of their partition had not: out-of-order completions. */
  outOfOrder = 0;

  finish(partition: number, offset: number): void {
    const finished = this.#finished.get(partition) ?? new Set<number>();
    this.#finished.set(partition, finished);
    finished.add(offset);
    let lowest = this.#lowestUnfinished.get(partition) ?? 0;
    if (offset > lowest) this.outOfOrder += 1;
    while (finished.has(lowest)) lowest += 1;
    this.#lowestUnfinished.set(partition, lowest);
  }

  lowestUnfinished(partition: number): number {
    return this.#lowestUnfinished.get(partition) ?? 0;
  }
}

describe('mergeMapByKey() behind consume() (integration)', function () {
  this.timeout(90_000);

  it('keeps per-key order under random delays and never commits past an unfinished record', async () => {
    const { brokers } = await useTestBroker();
    const [topic] = await createTopics([
      { topic: uniqueName('streams-key-order'), numPartitions: PARTITIONS },
    ]);
    const groupId = uniqueName('streams-key-order-group');
    await produceRecords(
      topic,
      Array.from({ length: RECORDS }, (_, index) => ({
        key: `key-${index % KEYS}`,
        value: JSON.stringify({ key: `key-${index % KEYS}`, sequence: Math.floor(index / KEYS) }),
      })),
    );

    const stream = consume<{ key: string; sequence: number }>({
      ...specDriver(),
      client: { brokers: [...brokers] },
      groupId,
      topics: [topic],
      fromBeginning: true,
      bufferSize: 64,
      logger: silentLogger,
    });
    const finished = new FinishedOffsets();
    const outputsByKey = new Map<string, number[]>();
    let outputs = 0;
    const done = new Promise<void>((resolve, reject) => {
      stream
        .pipe(
          mergeMapByKey(
            (record: CommittableRecord<{ key: string; sequence: number }>) =>
              timer(Math.random() * 8).pipe(map(() => record)),
            { concurrency: 32 },
          ),
          tap((record) => {
            const sequences = outputsByKey.get(record.value.key) ?? [];
            outputsByKey.set(record.value.key, sequences);
            sequences.push(record.value.sequence);
            // Noted before commit(): a commit can only follow it.
            finished.finish(record.partition, Number(record.offset));
          }),
          commitAfter(),
        )
        .subscribe({
          next: () => {
            if (++outputs === RECORDS) resolve();
          },
          error: reject,
        });
    });

    // The group's committed offsets, sampled while the records flow: each must be at most the lowest
    // unfinished offset of its partition when the answer came (commits only ever follow finishes).
    const violations: string[] = [];
    const midway: number[] = [];
    let sampling = true;
    const sampler = withAdmin(async (admin) => {
      while (sampling) {
        const [answer] = await admin.fetchOffsets({ groupId, topics: [topic] });
        for (const { partition, offset } of answer.partitions) {
          const committed = Number(offset);
          if (committed < 0) continue;
          const lowest = finished.lowestUnfinished(partition);
          if (committed > lowest)
            violations.push(`partition ${partition}: committed ${committed}, lowest unfinished ${lowest}`);
          if (committed > 0 && lowest < RECORDS / PARTITIONS) midway.push(committed);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
    await done;
    sampling = false;
    await sampler;
    const report = await stream.drain();

    expect(violations).to.deep.equal([]);
    // The check had something to check: commits seen mid-run, and records finishing out of order.
    expect(midway.length).to.be.above(0);
    expect(finished.outOfOrder).to.be.above(0);
    for (const [key, sequences] of outputsByKey) {
      expect(sequences, key).to.deep.equal(sequences.map((_, index) => index));
    }
    expect([...outputsByKey.values()].reduce((sum, sequences) => sum + sequences.length, 0)).to.equal(
      RECORDS,
    );
    expect(report).to.include({ recordsEmitted: RECORDS, recordsFinished: RECORDS, recordsAbandoned: 0 });
    const [committed] = await withAdmin((admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
    const ends = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
    expect(
      Object.fromEntries(committed.partitions.map(({ partition, offset }) => [partition, offset])),
    ).to.deep.equal(Object.fromEntries(ends.map(({ partition, high }) => [partition, high])));
    await withAdmin((admin) => admin.deleteTopics({ topics: [topic] }));
  });
});
