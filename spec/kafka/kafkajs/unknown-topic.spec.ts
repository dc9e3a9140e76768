import { expect } from 'chai';
import { createInitialContext, isConfigurationFailure } from '../../../lib/connection/connection-context';
import { toConnectionError } from '../../../lib/connection/connection-events';
import { toConnectFailure } from '../../../lib/kafka/kafkajs/kafkajs-connect-failure';
import { isUnknownTopic } from '../../../lib/kafka/kafkajs/unknown-topic';
import { toUnknownTopicFailure } from '../../../lib/kafka/topic-not-found';

/** kafkajs 2.2.4's subscribe() error for a topic the cluster does not have. */
function unknownTopicError(): Error {
  return Object.assign(new Error('This server does not host this topic-partition'), {
    name: 'KafkaJSProtocolError',
    type: 'UNKNOWN_TOPIC_OR_PARTITION',
    code: 3,
    retriable: true,
  });
}

describe('isUnknownTopic()', () => {
  it("recognises Kafka's UNKNOWN_TOPIC_OR_PARTITION, also wrapped in kafkajs's retry error", () => {
    const wrapped = Object.assign(new Error('retries exceeded'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      originalError: unknownTopicError(),
    });
    expect(isUnknownTopic(unknownTopicError())).to.equal(true);
    expect(isUnknownTopic(wrapped)).to.equal(true);
  });

  it('leaves out other errors: a closed connection, a refused one, odd values', () => {
    const closed = Object.assign(new Error('Closed connection'), { name: 'KafkaJSConnectionClosedError' });
    for (const value of [closed, new Error('x'), undefined, null, 'UNKNOWN_TOPIC_OR_PARTITION']) {
      expect(isUnknownTopic(value)).to.equal(false);
    }
  });
});

describe('toUnknownTopicFailure()', () => {
  const error = unknownTopicError();

  it('gives RXK_TOPIC_NOT_FOUND naming the missing topic, how to create it, and no TLS', () => {
    const failure = toUnknownTopicFailure(error, 'orders-server', ['orders', 'hero.kill'], ['hero.kill']);
    expect(failure.code).to.equal('RXK_TOPIC_NOT_FOUND');
    expect(failure.cause).to.equal(error);
    expect(failure.context.topic).to.equal('hero.kill');
    expect(failure.message).to.contain("topic 'hero.kill' does not exist");
    expect(failure.message).not.to.contain("'orders'");
    expect(failure.message).to.contain('createTopics()');
    expect(failure.message).to.contain('kafka-topics.sh');
    expect(failure.message).not.to.match(/TLS|ssl/i);
  });

  it('names every missing topic', () => {
    const failure = toUnknownTopicFailure(error, 'c', ['a', 'b', 'c'], ['a', 'c']);
    expect(failure.message).to.contain("topics 'a', 'c' do not exist");
    expect(failure.context.topic).to.equal(undefined);
  });

  it('names every subscribed topic as a suspect when the cluster could not be asked', () => {
    expect(toUnknownTopicFailure(error, 'c', ['a', 'b'], undefined).message).to.contain(
      "one of the topics 'a', 'b' does not exist",
    );
    expect(toUnknownTopicFailure(error, 'c', ['a'], undefined).message).to.contain(
      "topic 'a' does not exist",
    );
  });

  it('is retriable, but ends a first connect at once (and not a connection that has served)', () => {
    const failure = toConnectionError(toUnknownTopicFailure(error, 'c', ['a'], ['a']));
    const first = createInitialContext({ input: { clientId: 'c' } });
    expect(failure.retriable).to.equal(true);
    expect(isConfigurationFailure(first, failure)).to.equal(true);
    expect(isConfigurationFailure({ ...first, everReady: true }, failure)).to.equal(false);
  });

  it('is not claimed by the TLS heuristic, even wrapped with a closed connection after the broker answered', () => {
    const closed = Object.assign(new Error('Closed connection'), { name: 'KafkaJSConnectionClosedError' });
    const target = { clientId: 'c', brokers: ['127.0.0.1:9092'] };
    expect(toConnectFailure(error, target)).to.equal(undefined);
    expect(toConnectFailure(closed, target, { answered: true })).to.equal(undefined);
  });
});
