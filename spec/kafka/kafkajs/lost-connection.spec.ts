import { expect } from 'chai';
import { isLostConnection } from '../../../lib/kafka/kafkajs/lost-connection';

const named = (name: string, message: string, extra: object = {}) =>
  Object.assign(new Error(message), { name }, extra);

describe('isLostConnection()', () => {
  it('recognises the socket failures kafkajs 2.2.4 throws, also wrapped in its retry error', () => {
    expect(
      isLostConnection(named('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED')),
    ).to.equal(true);
    expect(isLostConnection(named('KafkaJSConnectionClosedError', 'Closed connection'))).to.equal(true);
    expect(isLostConnection(named('KafkaJSNoBrokerAvailableError', 'No broker available'))).to.equal(true);
    const retried = named('KafkaJSNumberOfRetriesExceeded', 'Connection error: write after end', {
      cause: named('KafkaJSConnectionError', 'Connection error: write after end'),
    });
    expect(isLostConnection(retried)).to.equal(true);
  });

  it('leaves out what the brokers answered: a refused record is no lost connection', () => {
    expect(
      isLostConnection(
        named(
          'KafkaJSProtocolError',
          'The request included a message larger than the max message size the server will accept',
        ),
      ),
    ).to.equal(false);
    expect(
      isLostConnection(named('KafkaJSRequestTimeoutError', 'Request Produce(key: 0, version: 7) timed out')),
    ).to.equal(false);
    expect(isLostConnection(new Error('boom'))).to.equal(false);
    expect(isLostConnection('ECONNREFUSED')).to.equal(false);
    expect(isLostConnection(undefined)).to.equal(false);
  });
});
