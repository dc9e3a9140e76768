import { expect } from 'chai';
import { toWrittenOffsets } from '../../lib/connection/written-offsets';
import type { OutgoingRecord } from '../../lib/kafka/kafka-record';

describe('toWrittenOffsets()', () => {
  const pinned = new Map<OutgoingRecord, number>();
  const partitionOf = (message: OutgoingRecord) => pinned.get(message);
  const message = (value: string, partition?: number, pinnedTo?: number): OutgoingRecord => {
    const record: OutgoingRecord = partition === undefined ? { value } : { value, partition };
    if (pinnedTo !== undefined) pinned.set(record, pinnedTo);
    return record;
  };

  it("numbers each partition's records from its base offset, in request order, across entries", () => {
    const entries = [
      { topic: 't', messages: [message('a', 0), message('b', undefined, 1), message('c', 0)] },
      { topic: 't', messages: [message('d', undefined, 0)] },
      { topic: 'u', messages: [message('e', 0)] },
    ];
    const response = [
      { topicName: 't', partition: 0, errorCode: 0, baseOffset: '100' },
      { topicName: 't', partition: 1, errorCode: 0, baseOffset: '7' },
      { topicName: 'u', partition: 0, errorCode: 0, baseOffset: '0' },
    ];
    expect(toWrittenOffsets(entries, response, partitionOf)).to.deep.equal([
      [
        { topic: 't', partition: 0, offset: '100' },
        { topic: 't', partition: 1, offset: '7' },
        { topic: 't', partition: 0, offset: '101' },
      ],
      [{ topic: 't', partition: 0, offset: '102' }],
      [{ topic: 'u', partition: 0, offset: '0' }],
    ]);
  });

  it('knows no offsets without a response (acks 0) or for a message whose partition is unknown', () => {
    const entries = [
      { topic: 't', messages: [message('a', 0)] },
      { topic: 't', messages: [message('b')] },
    ];
    expect(toWrittenOffsets(entries, undefined, partitionOf)).to.deep.equal([undefined, undefined]);
    const response = [{ topicName: 't', partition: 0, errorCode: 0, baseOffset: '5' }];
    expect(toWrittenOffsets(entries, response, partitionOf)).to.deep.equal([
      [{ topic: 't', partition: 0, offset: '5' }],
      undefined,
    ]);
  });

  it('counts offsets past 2^53 exactly', () => {
    const entries = [{ topic: 't', messages: [message('a', 0), message('b', 0)] }];
    const response = [{ topicName: 't', partition: 0, errorCode: 0, baseOffset: '9007199254740993' }];
    expect(toWrittenOffsets(entries, response, partitionOf)?.[0]?.map(({ offset }) => offset)).to.deep.equal([
      '9007199254740993',
      '9007199254740994',
    ]);
  });
});
