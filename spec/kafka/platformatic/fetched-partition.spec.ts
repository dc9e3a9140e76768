import { expect } from 'chai';
import { CONTROL_BATCH } from '../../../lib/kafka/platformatic/record-batch-attributes';
import { recordsBatch, transactionalBatch, transactionMarker } from './support/records-batch';
import {
  readFetchedPartition,
  type FetchedRecordsBatch,
} from '../../../lib/kafka/platformatic/fetched-partition';

describe('readFetchedPartition()', () => {
  it('hands over the records at or after the position asked for (a fetch returns whole batches)', () => {
    const { records, next } = readFetchedPartition('t', 0, [recordsBatch(0, 4), recordsBatch(4, 2)], 2n);
    expect(records.map(({ offset }) => offset)).to.deep.equal(['2', '3', '4', '5']);
    expect(records.map(({ value }) => String(value))).to.deep.equal(['v2', 'v3', 'v4', 'v5']);
    expect(records[1].timestamp).to.equal('1003');
    expect(next).to.equal(6n);
  });

  it('leaves transaction markers out, and reads on past them', () => {
    const { records, next } = readFetchedPartition(
      't',
      0,
      [recordsBatch(0, 2), recordsBatch(2, 1, CONTROL_BATCH)],
      0n,
    );
    expect(records.map(({ offset }) => offset)).to.deep.equal(['0', '1']);
    expect(next).to.equal(3n);
  });

  it('reads past a fetch that held only a marker, handing nothing over', () => {
    const { records, next } = readFetchedPartition('t', 0, [recordsBatch(7, 1, CONTROL_BATCH)], 7n);
    expect(records).to.deep.equal([]);
    expect(next).to.equal(8n);
  });

  it('reads on past gaps (compacted or aborted records the library filtered out)', () => {
    const { records, next } = readFetchedPartition('t', 0, [recordsBatch(0, 1), recordsBatch(5, 1)], 0n);
    expect(records.map(({ offset }) => offset)).to.deep.equal(['0', '5']);
    expect(next).to.equal(6n);
  });

  it('keeps every header, repeated names included, and a header without a value', () => {
    const withHeaders: FetchedRecordsBatch = {
      ...recordsBatch(0, 1),
      records: [
        {
          ...recordsBatch(0, 1).records[0],
          headers: [
            [Buffer.from('a'), Buffer.from('1')],
            [Buffer.from('a'), Buffer.from('2')],
            [Buffer.from('b'), null],
          ],
        },
      ],
    };
    const headers = readFetchedPartition('t', 0, [withHeaders], 0n).records[0].headers ?? {};
    expect(Object.keys(headers)).to.deep.equal(['a', 'b']);
    expect((headers.a as Buffer[]).map(String)).to.deep.equal(['1', '2']);
    expect(headers.b).to.equal(undefined);
  });

  describe('aborted transactions (read_committed)', () => {
    it('leaves out every aborted transaction of a producer, also two in one fetch, and keeps its committed one', () => {
      const { records, next } = readFetchedPartition(
        't',
        0,
        [
          transactionalBatch(0, 2, 7n),
          transactionMarker(2, 7n, 0),
          transactionalBatch(3, 2, 7n),
          transactionMarker(5, 7n, 1),
          transactionalBatch(6, 1, 7n),
          transactionMarker(7, 7n, 0),
        ],
        0n,
        [
          { producerId: 7n, firstOffset: 0n },
          { producerId: 7n, firstOffset: 6n },
        ],
      );
      expect(records.map(({ offset }) => offset)).to.deep.equal(['3', '4']);
      expect(next).to.equal(8n);
    });

    it('leaves out an aborted transaction whose marker the fetch did not reach', () => {
      const { records, next } = readFetchedPartition(
        't',
        0,
        [recordsBatch(0, 1), transactionalBatch(1, 2, 9n)],
        0n,
        [{ producerId: 9n, firstOffset: 1n }],
      );
      expect(records.map(({ offset }) => offset)).to.deep.equal(['0']);
      expect(next).to.equal(3n);
    });

    it('keeps the records of other producers and of non-transactional batches meanwhile', () => {
      const { records } = readFetchedPartition(
        't',
        0,
        [
          transactionalBatch(0, 1, 1n),
          transactionalBatch(1, 1, 2n),
          recordsBatch(2, 1),
          transactionMarker(3, 1n, 0),
        ],
        0n,
        [{ producerId: 1n, firstOffset: 0n }],
      );
      expect(records.map(({ offset }) => offset)).to.deep.equal(['1', '2']);
    });
  });

  it('says there is no next position when the fetch brought nothing', () => {
    expect(readFetchedPartition('t', 0, undefined, 3n)).to.deep.equal({ records: [], next: undefined });
    expect(readFetchedPartition('t', 0, [], 3n)).to.deep.equal({ records: [], next: undefined });
  });

  it('never moves the position back for a batch that ends before it', () => {
    expect(readFetchedPartition('t', 0, [recordsBatch(0, 2)], 5n)).to.deep.equal({ records: [], next: 5n });
  });
});
