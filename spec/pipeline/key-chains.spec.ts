import { expect } from 'chai';
import { chainByKey } from '../../lib/pipeline/key-chains';

const record = (key: string | null) => ({ key: key === null ? null : Buffer.from(key) });

describe('chainByKey()', () => {
  it("chains each key's records in offset order and starts each chain at the key's first record", () => {
    const { firsts, nextOfKey } = chainByKey([
      record('a'),
      record('b'),
      record('a'),
      record('c'),
      record('b'),
    ]);
    expect(firsts).to.deep.equal([0, 1, 3]);
    expect([...nextOfKey]).to.deep.equal([2, 4, -1, -1, -1]);
  });

  it('puts records without a key in one chain of their own', () => {
    const { firsts, nextOfKey } = chainByKey([record(null), record('a'), record(null)]);
    expect(firsts).to.deep.equal([0, 1]);
    expect([...nextOfKey]).to.deep.equal([2, -1, -1]);
  });

  it('tells keys apart by their bytes, not by their text', () => {
    // Both are invalid UTF-8: as text they would both be U+FFFD, one key.
    const keys = [{ key: Buffer.from([0xff]) }, { key: Buffer.from([0xfe]) }];
    expect(chainByKey(keys).firsts).to.deep.equal([0, 1]);
  });
});
