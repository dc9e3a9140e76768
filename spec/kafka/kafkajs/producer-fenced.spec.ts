import { expect } from 'chai';
import { RxKafkaError } from '../../../lib/errors';
import { isProducerFenced, toProducerFenced } from '../../../lib/kafka/kafkajs/producer-fenced';

const protocolError = (type: string, code: number) =>
  Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type, code });

describe('toProducerFenced()', () => {
  it('recognises INVALID_PRODUCER_EPOCH (47) and PRODUCER_FENCED (90), also wrapped in kafkajs’s retry error', () => {
    expect(isProducerFenced(protocolError('INVALID_PRODUCER_EPOCH', 47))).to.equal(true);
    expect(isProducerFenced(protocolError('PRODUCER_FENCED', 90))).to.equal(true);
    const wrapped = Object.assign(new Error('retries exceeded'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      cause: protocolError('INVALID_PRODUCER_EPOCH', 47),
    });
    expect(isProducerFenced(wrapped)).to.equal(true);
  });

  it('turns a fencing error into RXK_PRODUCER_FENCED naming the transactional id, with the cause', () => {
    const cause = protocolError('INVALID_PRODUCER_EPOCH', 47);
    const error = toProducerFenced(cause, 'billing-orders-2') as RxKafkaError;
    expect(RxKafkaError.isRxKafkaError(error)).to.equal(true);
    expect(error.code).to.equal('RXK_PRODUCER_FENCED');
    expect(error.retriable).to.equal(false);
    expect(error.message).to.include('billing-orders-2');
    expect(error.cause).to.equal(cause);
  });

  it('leaves any other error as it is', () => {
    const concurrent = protocolError('CONCURRENT_TRANSACTIONS', 51);
    expect(toProducerFenced(concurrent, 'id')).to.equal(concurrent);
    expect(isProducerFenced(new Error('boom'))).to.equal(false);
    expect(isProducerFenced(undefined)).to.equal(false);
  });
});
