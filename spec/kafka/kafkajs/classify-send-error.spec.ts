import { expect } from 'chai';
import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} from 'kafkajs';
import { RxKafkaError } from '../../../lib/errors';
import { classifySendError } from '../../../lib/kafka/kafkajs/classify-send-error';

/** A protocol error of one Kafka error type, as kafkajs's retrier hands it over when it gives up. */
function exhausted(cause: Error): KafkaJSNumberOfRetriesExceeded {
  return new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 100 });
}

function protocolError(type: string, text = `Kafka said ${type}`): KafkaJSProtocolError {
  return Object.assign(new KafkaJSProtocolError(text), { type });
}

describe('classifySendError() (kafkajs)', () => {
  it('says lost-connection for a socket failure or a timed-out request, also inside the retry error', () => {
    expect(classifySendError(new KafkaJSConnectionError('Connection error: ECONNREFUSED'))).to.equal(
      'lost-connection',
    );
    expect(
      classifySendError(exhausted(new KafkaJSConnectionError('Connection error: ECONNREFUSED'))),
    ).to.equal('lost-connection');
    const timedOut = new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out', {
      broker: 'localhost:9092',
      clientId: 'orders',
      correlationId: 1,
      createdAt: 0,
      sentAt: 0,
      pendingDuration: 0,
    });
    expect(classifySendError(exhausted(timedOut))).to.equal('lost-connection');
    expect(
      classifySendError(
        Object.assign(new Error('No broker available'), { name: 'KafkaJSNoBrokerAvailableError' }),
      ),
    ).to.equal('lost-connection');
  });

  it('says refused-topic for an unknown, invalid or unauthorized topic', () => {
    for (const type of [
      'UNKNOWN_TOPIC_OR_PARTITION',
      'INVALID_TOPIC_EXCEPTION',
      'TOPIC_AUTHORIZATION_FAILED',
    ]) {
      expect(classifySendError(exhausted(protocolError(type))), type).to.equal('refused-topic');
    }
  });

  it('reads the kafkajs error under the adapter’s RXK_NOT_AUTHORIZED', () => {
    const refused = new RxKafkaError('RXK_NOT_AUTHORIZED', 'not authorized to write to orders', {
      cause: exhausted(protocolError('TOPIC_AUTHORIZATION_FAILED')),
    });
    expect(classifySendError(refused)).to.equal('refused-topic');
  });

  it('says refused-record for a record Kafka will never take as it is', () => {
    for (const type of ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']) {
      expect(classifySendError(protocolError(type)), type).to.equal('refused-record');
    }
  });

  it('says retriable for anything else', () => {
    expect(classifySendError(exhausted(protocolError('NOT_LEADER_FOR_PARTITION')))).to.equal('retriable');
    expect(classifySendError(new Error('boom'))).to.equal('retriable');
    expect(classifySendError('ECONNREFUSED')).to.equal('retriable');
    expect(classifySendError(undefined)).to.equal('retriable');
  });
});
