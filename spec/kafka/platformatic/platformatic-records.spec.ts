import { expect } from 'chai';
import { toFetchedRecord, toMessageToSend } from '../../../lib/kafka/platformatic/platformatic-records';

describe('platformatic records', () => {
  describe('toFetchedRecord()', () => {
    it('gives offsets and timestamps as decimal strings and headers by name', () => {
      const record = toFetchedRecord({
        topic: 't',
        partition: 0,
        offset: 9007199254740993n,
        timestamp: 1700000000000n,
        key: Buffer.from('k'),
        value: Buffer.from('v'),
        headers: new Map([[Buffer.from('kafka_correlationId'), Buffer.from('42')]]),
      });
      expect(record.offset).to.equal('9007199254740993');
      expect(record.timestamp).to.equal('1700000000000');
      expect(record.key?.toString()).to.equal('k');
      expect(record.value?.toString()).to.equal('v');
      expect(record.headers?.kafka_correlationId?.toString()).to.equal('42');
    });

    it('gives a missing key or value (a tombstone) as null', () => {
      const record = toFetchedRecord({
        topic: 't',
        partition: 0,
        offset: 1n,
        timestamp: 0n,
        headers: new Map(),
      });
      expect(record.key).to.equal(null);
      expect(record.value).to.equal(null);
    });

    it('keeps every value of a repeated header name', () => {
      const record = toFetchedRecord({
        topic: 't',
        partition: 0,
        offset: 1n,
        timestamp: 0n,
        headers: new Map([
          [Buffer.from('h'), Buffer.from('1')],
          [Buffer.from('h'), Buffer.from('2')],
        ]),
      });
      expect((record.headers?.h as Buffer[]).map(String)).to.deep.equal(['1', '2']);
    });

    it('keeps a header without a value (null on the wire, undefined from the library) by its name', () => {
      const record = toFetchedRecord({
        topic: 't',
        partition: 0,
        offset: 1n,
        timestamp: 0n,
        headers: new Map([
          [Buffer.from('nothing'), undefined],
          [Buffer.from('h'), Buffer.from('1')],
        ]),
      });
      expect(Object.keys(record.headers ?? {})).to.deep.equal(['nothing', 'h']);
      expect(record.headers?.nothing).to.equal(undefined);
      expect(record.headers?.h?.toString()).to.equal('1');
    });
  });

  describe('toMessageToSend()', () => {
    it('encodes strings, keeps the partition, and turns the timestamp into a bigint', () => {
      const message = toMessageToSend('t', {
        key: 'k',
        value: 'v',
        partition: 2,
        timestamp: '1700000000000',
        headers: { a: 'x' },
      });
      expect(message.topic).to.equal('t');
      expect(message.key?.toString()).to.equal('k');
      expect(message.value?.toString()).to.equal('v');
      expect(message.partition).to.equal(2);
      expect(message.timestamp).to.equal(1700000000000n);
      expect([...(message.headers ?? [])].map(([name, value]) => `${name}=${value}`)).to.deep.equal(['a=x']);
    });

    it('writes a repeated header once per value and leaves out a null key and value', () => {
      const message = toMessageToSend('t', {
        key: null,
        value: null,
        headers: { h: ['1', Buffer.from('2')] },
      });
      expect(message).to.not.have.property('key');
      expect(message).to.not.have.property('value');
      expect([...(message.headers ?? [])].map(([name, value]) => `${name}=${value}`)).to.deep.equal([
        'h=1',
        'h=2',
      ]);
    });
  });
});
