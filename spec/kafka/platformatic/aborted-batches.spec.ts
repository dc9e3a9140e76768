import { expect } from 'chai';
import {
  emptyAbortedBatches,
  findAbortedBatches,
  leaveOutAbortedRecords,
  type FetchAnswer,
} from '../../../lib/kafka/platformatic/aborted-batches';
import { CONTROL_BATCH } from '../../../lib/kafka/platformatic/record-batch-attributes';
import {
  recordsBatch,
  transactionalBatch,
  transactionMarker,
  type ParsedRecordsBatch,
} from './support/records-batch';

interface Answer extends FetchAnswer {
  readonly responses: Array<{
    readonly partitions: Array<{
      readonly abortedTransactions: Array<{ producerId: bigint; firstOffset: bigint }>;
      readonly records: ParsedRecordsBatch[];
    }>;
  }>;
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
              transactionalBatch(0, 2, 7n),
              transactionMarker(2, 7n, 0),
              transactionalBatch(3, 2, 7n),
              transactionMarker(5, 7n, 0),
              transactionalBatch(6, 2, 7n),
              transactionMarker(8, 7n, 1),
              transactionalBatch(9, 1, 7n),
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
    const batches = [transactionalBatch(0, 1, 1n), transactionalBatch(1, 1, 2n), recordsBatch(2, 1)];
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
