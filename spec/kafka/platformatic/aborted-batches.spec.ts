import { expect } from 'chai';
import {
  emptyAbortedBatches,
  findAbortedBatches,
  leaveOutAbortedRecords,
  type FetchAnswer,
} from '../../../lib/kafka/platformatic/aborted-batches';
import { CONTROL_BATCH, TRANSACTIONAL_BATCH } from '../../../lib/kafka/platformatic/record-batch-attributes';
import { recordsBatch } from './support/records-batch';

interface Batch {
  readonly firstOffset: bigint;
  readonly lastOffsetDelta: number;
  readonly attributes: number;
  readonly producerId?: bigint;
  readonly records: Array<{ readonly key: Buffer | null; readonly value: Buffer | null }>;
}

interface Answer extends FetchAnswer {
  readonly responses: Array<{
    readonly partitions: Array<{
      readonly abortedTransactions: Array<{ producerId: bigint; firstOffset: bigint }>;
      readonly records: Batch[];
    }>;
  }>;
}

/** A batch of `count` records from `firstOffset`, of `producerId` in a transaction, or plain. */
function batch(firstOffset: number, count: number, producerId?: bigint): Batch {
  const made = recordsBatch(firstOffset, count, producerId === undefined ? 0 : TRANSACTIONAL_BATCH);
  return { ...made, ...(producerId === undefined ? {} : { producerId }), records: [...made.records] };
}

/** A transaction marker of `producerId`: type 0 aborts, 1 commits. */
function marker(offset: number, producerId: bigint, type: 0 | 1): Batch {
  const key = Buffer.alloc(4);
  key.writeInt16BE(type, 2);
  const made = recordsBatch(offset, 1, TRANSACTIONAL_BATCH | CONTROL_BATCH);
  return { ...made, producerId, records: [{ ...made.records[0], key }] };
}

/** Aborted (0-1), aborted (3-4), committed (6-7), aborted (9, its marker past the fetch), of producer 7. */
function answer(): Answer {
  return {
    responses: [
      {
        partitions: [
          {
            abortedTransactions: [
              { producerId: 7n, firstOffset: 0n },
              { producerId: 7n, firstOffset: 3n },
              { producerId: 7n, firstOffset: 9n },
            ],
            records: [
              batch(0, 2, 7n),
              marker(2, 7n, 0),
              batch(3, 2, 7n),
              marker(5, 7n, 0),
              batch(6, 2, 7n),
              marker(8, 7n, 1),
              batch(9, 1, 7n),
            ],
          },
        ],
      },
    ],
  };
}

function valuesOf(fetched: Answer): string[] {
  return fetched.responses[0].partitions[0].records.flatMap((fetchedBatch) =>
    (fetchedBatch.attributes & CONTROL_BATCH) !== 0
      ? []
      : fetchedBatch.records.map(({ value }) => String(value)),
  );
}

describe('aborted transactions in a Fetch answer', () => {
  it('finds every aborted transaction’s batches: two of one producer, and one whose marker the fetch did not reach', () => {
    const { records, abortedTransactions } = answer().responses[0].partitions[0];
    const found = findAbortedBatches(records, abortedTransactions);
    expect([...found].map(({ firstOffset }) => Number(firstOffset))).to.deep.equal([0, 3, 9]);
  });

  it('finds nothing without aborted transactions, and never a batch of another producer', () => {
    const batches = [batch(0, 1, 1n), batch(1, 1, 2n), batch(2, 1)];
    expect(findAbortedBatches(batches, []).size).to.equal(0);
    expect([...findAbortedBatches(batches, [{ producerId: 1n, firstOffset: 0n }])]).to.deep.equal([
      batches[0],
    ]);
  });

  it('empties the aborted batches in place, keeping them (and their offsets) in the answer', () => {
    const fetched = answer();
    emptyAbortedBatches(fetched);
    expect(valuesOf(fetched)).to.deep.equal(['v6', 'v7']);
    expect(fetched.responses[0].partitions[0].records).to.have.length(7);
  });

  it('makes a client’s fetch() leave them out, called with a callback or for a promise', async () => {
    const client = {
      fetch(_options: unknown, callback?: (error: unknown, fetched?: FetchAnswer) => void): unknown {
        if (callback) return void setImmediate(() => callback(null, answer()));
        return Promise.resolve(answer());
      },
    };
    leaveOutAbortedRecords(client);

    const viaCallback = await new Promise<Answer>((resolve) =>
      client.fetch({}, (_error, fetched) => resolve(fetched as Answer)),
    );
    const viaPromise = (await client.fetch({})) as Answer;

    expect(valuesOf(viaCallback)).to.deep.equal(['v6', 'v7']);
    expect(valuesOf(viaPromise)).to.deep.equal(['v6', 'v7']);
  });
});
