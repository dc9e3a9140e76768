import { expect } from 'chai';
import { RxKafkaError } from '../../lib/errors';
import { DeadLetterHeaders } from '../../lib/pipeline/dead-letter';
import {
  createRetriedDeadLetter,
  createRetryRecord,
  readAttempt,
  readDueAt,
  RetryHeaders,
} from '../../lib/pipeline/retry-headers';
import type { RawKafkaRecord } from '../../lib/wire/parser';

function createRecord(topic: string, headers: RawKafkaRecord['headers']): RawKafkaRecord {
  return {
    topic,
    partition: 2,
    offset: '41',
    timestamp: '1700000000000',
    attributes: 0,
    key: Buffer.from('order-7'),
    value: Buffer.from([0x00, 0xff]),
    headers,
    size: 0,
  } as unknown as RawKafkaRecord;
}

const text = (value: unknown) => (value === undefined ? undefined : String(value));

describe('retry headers', () => {
  describe('createRetryRecord()', () => {
    it('keeps key, value and headers, and adds the place, the error and the schedule', () => {
      const error = new RxKafkaError('RXK_HANDLER_TIMEOUT', 'too slow');
      const retry = createRetryRecord(createRecord('orders', { trace: Buffer.from('t-1') }), {
        error,
        attempts: 1,
        handler: 'Orders.place',
        nowMs: 5_000,
        dueAtMs: 6_000,
      });
      expect(retry.key).to.deep.equal(Buffer.from('order-7'));
      expect(retry.value).to.deep.equal(Buffer.from([0x00, 0xff]));
      const headers = retry.headers ?? {};
      expect(headers.trace).to.deep.equal(Buffer.from('t-1'));
      expect(text(headers[DeadLetterHeaders.ORIGINAL_TOPIC])).to.equal('orders');
      expect(text(headers[DeadLetterHeaders.ORIGINAL_PARTITION])).to.equal('2');
      expect(text(headers[DeadLetterHeaders.ORIGINAL_OFFSET])).to.equal('41');
      expect(text(headers[DeadLetterHeaders.EXCEPTION_MESSAGE])).to.equal('too slow');
      expect(text(headers[RetryHeaders.EXCEPTION_CODE])).to.equal('RXK_HANDLER_TIMEOUT');
      expect(text(headers[RetryHeaders.ATTEMPT])).to.equal('2');
      expect(text(headers[RetryHeaders.DUE_AT])).to.equal('6000');
      expect(text(headers[RetryHeaders.FIRST_FAILURE_AT])).to.equal('5000');
    });

    it('keeps the first failure’s place and time on the next hop, and drops an earlier error code', () => {
      const first = createRetryRecord(createRecord('orders', {}), {
        error: new RxKafkaError('RXK_HANDLER_TIMEOUT', 'too slow'),
        attempts: 1,
        handler: 'Orders.place',
        nowMs: 5_000,
        dueAtMs: 6_000,
      });
      const second = createRetryRecord(createRecord('orders.retry.1000', first.headers), {
        error: new Error('still down'),
        attempts: 2,
        handler: 'Orders.place',
        nowMs: 7_000,
        dueAtMs: 17_000,
      });
      const headers = second.headers ?? {};
      expect(text(headers[DeadLetterHeaders.ORIGINAL_TOPIC])).to.equal('orders');
      expect(text(headers[RetryHeaders.FIRST_FAILURE_AT])).to.equal('5000');
      expect(text(headers[RetryHeaders.ATTEMPT])).to.equal('3');
      expect(text(headers[DeadLetterHeaders.EXCEPTION_MESSAGE])).to.equal('still down');
      expect(headers).to.not.have.property(RetryHeaders.EXCEPTION_CODE);
    });
  });

  describe('createRetriedDeadLetter()', () => {
    it('names the source topic, not the retry topic it came from', () => {
      const retry = createRetryRecord(createRecord('orders', {}), {
        error: new Error('down'),
        attempts: 1,
        handler: 'Orders.place',
        nowMs: 1,
        dueAtMs: 2,
      });
      const letter = createRetriedDeadLetter(createRecord('orders.retry.200', retry.headers), {
        error: new Error('down'),
        attempts: 2,
        handler: 'Orders.place',
      });
      expect(text(letter.headers?.[DeadLetterHeaders.ORIGINAL_TOPIC])).to.equal('orders');
      expect(text(letter.headers?.[DeadLetterHeaders.ATTEMPTS])).to.equal('2');
    });
  });

  describe('readAttempt() and readDueAt()', () => {
    it('read whole numbers, from text or bytes', () => {
      expect(readAttempt({ [RetryHeaders.ATTEMPT]: Buffer.from('3') })).to.equal(3);
      expect(readDueAt({ [RetryHeaders.DUE_AT]: '1700000000000' })).to.equal(1_700_000_000_000);
    });

    it('give undefined for a missing or malformed value', () => {
      for (const bad of [undefined, '', 'two', '-1', '1.5', '1', '0']) {
        expect(readAttempt(bad === undefined ? {} : { [RetryHeaders.ATTEMPT]: bad }), String(bad)).to.equal(
          undefined,
        );
      }
      for (const bad of [undefined, '', 'soon', '-5', '12e3']) {
        expect(readDueAt(bad === undefined ? {} : { [RetryHeaders.DUE_AT]: bad }), String(bad)).to.equal(
          undefined,
        );
      }
    });
  });
});
