import { expect } from 'chai';
import { traceIdOf } from '../../lib/tracing/trace-id';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

describe('traceIdOf()', () => {
  it('reads the trace id of a traceparent header fetched as a Buffer', () => {
    expect(traceIdOf({ traceparent: Buffer.from(TRACEPARENT) })).to.equal(TRACE_ID);
  });

  it('reads the trace id of a decoded (string) traceparent header', () => {
    expect(traceIdOf({ traceparent: TRACEPARENT })).to.equal(TRACE_ID);
  });

  it('takes the first of a repeated traceparent header', () => {
    const other = `00-${'a'.repeat(32)}-00f067aa0ba902b7-01`;
    expect(traceIdOf({ traceparent: [Buffer.from(TRACEPARENT), other] })).to.equal(TRACE_ID);
  });

  it('reads a later version with more fields', () => {
    expect(traceIdOf({ traceparent: `01-${TRACE_ID}-00f067aa0ba902b7-01-what-comes-next` })).to.equal(
      TRACE_ID,
    );
  });

  it('is undefined without headers or without a traceparent', () => {
    expect(traceIdOf(undefined)).to.equal(undefined);
    expect(traceIdOf({ tracestate: 'a=b' })).to.equal(undefined);
  });

  for (const [what, traceparent] of [
    ['a wrong length', `00-${TRACE_ID.slice(1)}-00f067aa0ba902b7-01`],
    ['bad hex', `00-${TRACE_ID.slice(1)}g-00f067aa0ba902b7-01`],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01`],
    ['the forbidden version ff', `ff-${TRACE_ID}-00f067aa0ba902b7-01`],
    ['extra fields on version 00', `${TRACEPARENT}-extra`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['an all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
  ] as const) {
    it(`is undefined for a traceparent with ${what}`, () => {
      expect(traceIdOf({ traceparent })).to.equal(undefined);
    });
  }

  it('is undefined for a header value that is neither text nor a Buffer', () => {
    expect(traceIdOf({ traceparent: 42 })).to.equal(undefined);
  });
});
