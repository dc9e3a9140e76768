import { expect } from 'chai';
import { KafkaHeaders } from '../../lib/wire/kafka-headers';
import { describeBrokenRoute, readReplyRoute, toReplyMeta } from '../../lib/wire/reply-route';

const FULL = {
  [KafkaHeaders.CORRELATION_ID]: Buffer.from('{"id":1}'),
  [KafkaHeaders.REPLY_TOPIC]: 'math.sum.reply',
  [KafkaHeaders.REPLY_PARTITION]: Buffer.from('3'),
};

describe('readReplyRoute()', () => {
  it('reads the correlation id byte for byte, the reply topic and the partition number', () => {
    expect(readReplyRoute(FULL)).to.deep.equal({
      correlationId: '{"id":1}',
      replyTopic: 'math.sum.reply',
      replyPartition: 3,
    });
  });

  it('takes the first of repeated headers', () => {
    const route = readReplyRoute({ ...FULL, [KafkaHeaders.REPLY_TOPIC]: ['first.reply', 'second.reply'] });
    expect(route?.replyTopic).to.equal('first.reply');
  });

  it('leaves the partition to the partitioner when the header is not a number', () => {
    expect(readReplyRoute({ ...FULL, [KafkaHeaders.REPLY_PARTITION]: 'abc' })?.replyPartition).to.equal(
      undefined,
    );
  });

  it('gives no route without a correlation id or without a reply topic (the record is an event)', () => {
    expect(readReplyRoute({ [KafkaHeaders.REPLY_TOPIC]: 'x.reply' })).to.equal(undefined);
    expect(readReplyRoute({ [KafkaHeaders.CORRELATION_ID]: 'id' })).to.equal(undefined);
    expect(readReplyRoute({ ...FULL, [KafkaHeaders.CORRELATION_ID]: '' })).to.equal(undefined);
    expect(readReplyRoute(undefined)).to.equal(undefined);
  });
});

describe('describeBrokenRoute()', () => {
  it('says nothing for a full request or a plain event', () => {
    expect(describeBrokenRoute(FULL, readReplyRoute(FULL))).to.equal(undefined);
    expect(describeBrokenRoute({}, undefined)).to.equal(undefined);
  });

  it('names the missing header of half a request', () => {
    const headers = { [KafkaHeaders.CORRELATION_ID]: 'id-1' };
    expect(describeBrokenRoute(headers, readReplyRoute(headers))).to.match(
      /carries kafka_correlationId but no usable kafka_replyTopic/,
    );
  });

  it('names a reply partition that is not a number', () => {
    const headers = { ...FULL, [KafkaHeaders.REPLY_PARTITION]: 'abc' };
    expect(describeBrokenRoute(headers, readReplyRoute(headers))).to.match(/"abc" is not a partition number/);
  });
});

describe('toReplyMeta()', () => {
  it('carries the route’s id and partition with the reply’s error and disposal', () => {
    const route = { correlationId: 'id-9', replyTopic: 't.reply', replyPartition: 1 };
    expect(toReplyMeta(route, true, { status: 'error' })).to.deep.equal({
      correlationId: 'id-9',
      replyPartition: 1,
      err: { status: 'error' },
      isDisposed: true,
    });
  });
});
