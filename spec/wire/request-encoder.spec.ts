import { expect } from 'chai';
import type { OutgoingMessage } from '../../lib/wire/outgoing-message';
import { encodeRequest } from '../../lib/wire/request-encoder';

const META = { correlationId: '58710577e12cd007e9c53', replyTopic: 'math.sum.reply', replyPartition: 2 };

describe('encodeRequest()', () => {
  it('adds the three request headers as UTF-8 strings', () => {
    expect(encodeRequest({ value: '{"a":1,"b":2}', headers: {} }, META)).to.deep.equal({
      value: '{"a":1,"b":2}',
      headers: {
        kafka_correlationId: '58710577e12cd007e9c53',
        kafka_replyTopic: 'math.sum.reply',
        kafka_replyPartition: '2',
      },
    });
  });

  it('writes partition 0 as "0"', () => {
    expect(
      encodeRequest({ value: null, headers: {} }, { ...META, replyPartition: 0 }).headers
        .kafka_replyPartition,
    ).to.equal('0');
  });

  it("puts the request headers after the caller's headers", () => {
    const encoded = encodeRequest(
      { value: 'x', headers: { trace: 't1', tenant: Buffer.from('acme') } },
      META,
    );
    expect(Object.keys(encoded.headers)).to.deep.equal([
      'trace',
      'tenant',
      'kafka_correlationId',
      'kafka_replyTopic',
      'kafka_replyPartition',
    ]);
    expect(encoded.headers.tenant).to.deep.equal(Buffer.from('acme'));
  });

  it("overwrites a caller's header of the same name", () => {
    const encoded = encodeRequest({ value: 'x', headers: { kafka_replyTopic: 'spoofed' } }, META);
    expect(encoded.headers.kafka_replyTopic).to.equal('math.sum.reply');
  });

  it('keeps key, value, partition and timestamp', () => {
    const encoded = encodeRequest({ key: 'k', value: 'v', headers: {}, partition: 5, timestamp: '1' }, META);
    expect(encoded).to.include({ key: 'k', value: 'v', partition: 5, timestamp: '1' });
  });

  it('returns a new record and leaves the serialized one as it was', () => {
    const headers = { trace: 't1' };
    const serialized: OutgoingMessage = { value: 'x', headers };
    const encoded = encodeRequest(serialized, META);
    expect(encoded).to.not.equal(serialized);
    expect(encoded.headers).to.not.equal(headers);
    expect(serialized).to.deep.equal({ value: 'x', headers: { trace: 't1' } });
  });
});
