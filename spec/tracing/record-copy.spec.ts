import { expect } from 'chai';
import type { OutgoingRecord, RecordHeaders } from '../../lib';
import { copyRecordHeaders, withRecordHeaders } from '../../lib/tracing/record-copy';

/** Headers with an own `__proto__` key, as JSON.parse (or a Kafka client decoding a record) makes them. */
function withProtoHeader(): RecordHeaders {
  return JSON.parse('{"__proto__": "not a prototype", "app": "x"}') as RecordHeaders;
}

describe('copyRecordHeaders', () => {
  it('copies every header into a fresh plain object, leaving the original alone', () => {
    const original: RecordHeaders = { app: 'x', id: Buffer.from('7') };
    const copy = copyRecordHeaders(original);
    copy.traceparent = 'tp';
    expect(copy).not.to.equal(original);
    expect(copy).to.deep.equal({ app: 'x', id: Buffer.from('7'), traceparent: 'tp' });
    expect(original).to.deep.equal({ app: 'x', id: Buffer.from('7') });
    expect(Object.getPrototypeOf(copy)).to.equal(Object.prototype);
  });

  it('gives an empty object for a record without headers', () => {
    expect(copyRecordHeaders(undefined)).to.deep.equal({});
  });

  it('keeps a header named __proto__ as a plain header: the copy’s prototype is not changed', () => {
    const copy = copyRecordHeaders(withProtoHeader());
    expect(Object.getPrototypeOf(copy)).to.equal(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).to.equal(true);
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).to.equal('not a prototype');
    expect(copy.app).to.equal('x');
  });

  it('keeps a header named __proto__ whose value is an object (a Buffer) as a plain header', () => {
    const headers = JSON.parse('{"__proto__": null}') as Record<string, unknown>;
    Object.defineProperty(headers, '__proto__', { value: Buffer.from('b'), enumerable: true });
    const copy = copyRecordHeaders(headers as RecordHeaders);
    expect(Object.getPrototypeOf(copy)).to.equal(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).to.deep.equal(Buffer.from('b'));
  });
});

describe('withRecordHeaders', () => {
  it('copies the record with the given headers in place of its own, leaving the original alone', () => {
    const original: OutgoingRecord = { key: 'k', value: 'v', headers: { app: 'x' }, partition: 3 };
    const copy = withRecordHeaders(original, { traceparent: 'tp' });
    expect(copy).to.deep.equal({ key: 'k', value: 'v', headers: { traceparent: 'tp' }, partition: 3 });
    expect(original.headers).to.deep.equal({ app: 'x' });
  });

  it('adds headers to a record that has none', () => {
    const original: OutgoingRecord = { value: 'v' };
    expect(withRecordHeaders(original, { traceparent: 'tp' })).to.deep.equal({
      value: 'v',
      headers: { traceparent: 'tp' },
    });
    expect(original).to.deep.equal({ value: 'v' });
  });

  it('keeps a record key named __proto__ as a plain key: the copy’s prototype is not changed', () => {
    const original = JSON.parse('{"__proto__": {"polluted": true}, "value": "v"}') as OutgoingRecord;
    const copy = withRecordHeaders(original, { traceparent: 'tp' });
    expect(Object.getPrototypeOf(copy)).to.equal(Object.prototype);
    expect((copy as { polluted?: unknown }).polluted).to.equal(undefined);
    expect(copy.headers).to.deep.equal({ traceparent: 'tp' });
  });
});
