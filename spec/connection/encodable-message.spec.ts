import { expect } from 'chai';
import { toEncodableMessage } from '../../lib/connection/encodable-message';

describe('toEncodableMessage()', () => {
  it('copies the record with the two keys kafkajs sets on its own copy, leaving the record as it was', () => {
    const record = { key: 'k', value: 'v', headers: { h: '1' }, partition: 2 };
    const encodable = toEncodableMessage(record);
    expect(encodable).to.deep.equal({
      key: 'k',
      value: 'v',
      headers: { h: '1' },
      partition: 2,
      timestamp: undefined,
      offsetDelta: 0,
      timestampDelta: 0,
    });
    expect(encodable).not.to.equal(record);
    expect(record).to.deep.equal({ key: 'k', value: 'v', headers: { h: '1' }, partition: 2 });
  });

  it('gives every record the same keys in the same order, whatever the record had', () => {
    const keysOf = (record: Parameters<typeof toEncodableMessage>[0]) =>
      Object.keys(toEncodableMessage(record)).join(',');
    expect(keysOf({ value: 'v' })).to.equal(keysOf({ key: 'k', value: 'v', timestamp: '1', headers: {} }));
  });
});
