import { expect } from 'chai';
import { createDeadLetter, DeadLetterHeaders, toDeadLetterTopic } from '../../lib/pipeline/dead-letter';
import type { RawKafkaRecord } from '../../lib/wire/parser';

function createRecord(): RawKafkaRecord {
  return {
    topic: 'orders',
    partition: 3,
    offset: '41',
    timestamp: '1700000000000',
    attributes: 0,
    key: Buffer.from('order-7'),
    value: Buffer.from([0x00, 0xff, 0x10]),
    headers: { trace: Buffer.from('t-1') },
    size: 0,
  } as unknown as RawKafkaRecord;
}

describe('dead letters', () => {
  describe('toDeadLetterTopic()', () => {
    it('appends .dlt to the source topic', () => {
      expect(toDeadLetterTopic('orders')).to.equal('orders.dlt');
    });
  });

  describe('createDeadLetter()', () => {
    it('keeps the original key, value and headers byte for byte', () => {
      const letter = createDeadLetter(createRecord(), {
        error: new Error('boom'),
        attempts: 3,
        handler: 'Orders.place',
      });
      expect(letter.key).to.deep.equal(Buffer.from('order-7'));
      expect(letter.value).to.deep.equal(Buffer.from([0x00, 0xff, 0x10]));
      expect(letter.headers?.trace).to.deep.equal(Buffer.from('t-1'));
    });

    it('says where the record came from, why it failed and after how many attempts', () => {
      const error = new TypeError('price is not a number');
      const letter = createDeadLetter(createRecord(), { error, attempts: 3, handler: 'Orders.place' });
      expect(letter.headers).to.include({
        [DeadLetterHeaders.ORIGINAL_TOPIC]: 'orders',
        [DeadLetterHeaders.ORIGINAL_PARTITION]: '3',
        [DeadLetterHeaders.ORIGINAL_OFFSET]: '41',
        [DeadLetterHeaders.ORIGINAL_TIMESTAMP]: '1700000000000',
        [DeadLetterHeaders.EXCEPTION_FQCN]: 'TypeError',
        [DeadLetterHeaders.EXCEPTION_MESSAGE]: 'price is not a number',
        [DeadLetterHeaders.ATTEMPTS]: '3',
        [DeadLetterHeaders.HANDLER]: 'Orders.place',
      });
    });

    it('describes a thrown non-Error by its type and text', () => {
      const letter = createDeadLetter(createRecord(), { error: 'plain text', attempts: 1, handler: 'h' });
      expect(letter.headers).to.include({
        [DeadLetterHeaders.EXCEPTION_FQCN]: 'string',
        [DeadLetterHeaders.EXCEPTION_MESSAGE]: 'plain text',
      });
    });

    it('describes a thrown value that String() refuses (an object without prototype)', () => {
      const error = Object.create(null) as object;
      const letter = createDeadLetter(createRecord(), { error, attempts: 1, handler: 'h' });
      expect(letter.headers).to.include({
        [DeadLetterHeaders.EXCEPTION_FQCN]: 'object',
        [DeadLetterHeaders.EXCEPTION_MESSAGE]: '[object Object]',
      });
    });

    it('uses Spring Kafka’s header names for the origin and the exception', () => {
      expect(
        Object.values(DeadLetterHeaders).filter((name) => name.startsWith('kafka_dlt-')),
      ).to.have.members([
        'kafka_dlt-original-topic',
        'kafka_dlt-original-partition',
        'kafka_dlt-original-offset',
        'kafka_dlt-original-timestamp',
        'kafka_dlt-exception-fqcn',
        'kafka_dlt-exception-message',
      ]);
    });
  });
});
