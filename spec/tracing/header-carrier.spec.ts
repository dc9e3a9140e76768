import { expect } from 'chai';
import type { RecordHeaders } from '../../lib';
import { recordHeaderGetter, recordHeaderSetter } from '../../lib/tracing/header-carrier';

describe('recordHeaderGetter', () => {
  it('reads a Buffer header as UTF-8 text', () => {
    const headers: RecordHeaders = { traceparent: Buffer.from('00-abc') };
    expect(recordHeaderGetter.get(headers, 'traceparent')).to.equal('00-abc');
  });

  it('reads a string header as it is', () => {
    expect(recordHeaderGetter.get({ tracestate: 'a=1' }, 'tracestate')).to.equal('a=1');
  });

  it('reads a repeated header (an array) as the texts of its values', () => {
    const headers: RecordHeaders = { tracestate: [Buffer.from('a=1'), 'b=2'] };
    expect(recordHeaderGetter.get(headers, 'tracestate')).to.deep.equal(['a=1', 'b=2']);
  });

  it('reads an absent header, missing headers and inherited names as absent', () => {
    expect(recordHeaderGetter.get({}, 'traceparent')).to.equal(undefined);
    expect(recordHeaderGetter.get(undefined, 'traceparent')).to.equal(undefined);
    expect(recordHeaderGetter.get({}, 'constructor')).to.equal(undefined);
  });

  it('reads a value that is neither text nor bytes as absent, without throwing', () => {
    const hostile = { traceparent: 42, tracestate: [{}, null] } as unknown as RecordHeaders;
    expect(recordHeaderGetter.get(hostile, 'traceparent')).to.equal(undefined);
    expect(recordHeaderGetter.get(hostile, 'tracestate')).to.equal(undefined);
  });

  it('lists the header names, none for a record without headers', () => {
    expect(recordHeaderGetter.keys({ a: 'x', b: Buffer.from('y') })).to.deep.equal(['a', 'b']);
    expect(recordHeaderGetter.keys(undefined)).to.deep.equal([]);
  });
});

describe('recordHeaderSetter', () => {
  it('writes string headers, keeping the others', () => {
    const headers: RecordHeaders = { kafka_correlationId: 'id-1' };
    recordHeaderSetter.set(headers, 'traceparent', '00-1-2-01');
    expect(headers).to.deep.equal({ kafka_correlationId: 'id-1', traceparent: '00-1-2-01' });
  });
});
