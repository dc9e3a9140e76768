import { expect } from 'chai';
import { Readable } from 'node:stream';
import { RecordReader } from '../../../lib/kafka/platformatic/record-reader';

/** An object-mode stream with a high-water mark of 3 that the spec pushes into. */
function createStream(): Readable {
  return new Readable({ objectMode: true, highWaterMark: 3, read: () => undefined });
}

describe('RecordReader', () => {
  it('takes everything the stream holds at once, past its high-water mark too', async () => {
    const stream = createStream();
    const reader = new RecordReader<number>(stream);
    for (let n = 0; n < 7; n += 1) stream.push(n);

    expect(await reader.next()).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    expect(stream.readableLength).to.equal(0);
  });

  it('waits for the next record when the stream holds none, and ends with null', async () => {
    const stream = createStream();
    const reader = new RecordReader<number>(stream);
    const next = reader.next();
    stream.push(1);
    expect(await next).to.deep.equal([1]);

    const last = reader.next();
    stream.push(null);
    expect(await last).to.equal(null);
  });
});
