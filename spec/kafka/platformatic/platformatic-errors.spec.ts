import { expect } from 'chai';
import {
  classifySendError,
  isLostConnection,
  isUnknownTopic,
} from '../../../lib/kafka/platformatic/platformatic-errors';
import { loadPlatformatic } from '../../../lib/kafka/platformatic/platformatic-library';

const { MultipleErrors, NetworkError, ProtocolError, TimeoutError, UserError } = loadPlatformatic();

/** A failed request as @platformatic/kafka reports it after its retries: errors nested in an aggregate. */
function exhausted(...errors: Error[]): Error {
  return new MultipleErrors('Producing messages failed.', errors);
}

describe('platformatic errors', () => {
  describe('classifySendError()', () => {
    it('says refused-topic for an unknown topic or a refused one, also nested', () => {
      expect(classifySendError(new ProtocolError('UNKNOWN_TOPIC_OR_PARTITION'))).to.equal('refused-topic');
      expect(classifySendError(exhausted(new ProtocolError('TOPIC_AUTHORIZATION_FAILED')))).to.equal(
        'refused-topic',
      );
    });

    it("says refused-topic for the metadata lookup's 'Unknown topic' error, which keeps no Kafka code", () => {
      expect(classifySendError(new UserError('Unknown topic orders.reply.'))).to.equal('refused-topic');
      expect(classifySendError(exhausted(new UserError('Unknown topic orders.reply.')))).to.equal(
        'refused-topic',
      );
    });

    it('says refused-record for a record Kafka will never take, or one that cannot be serialized', () => {
      expect(classifySendError(exhausted(new ProtocolError('MESSAGE_TOO_LARGE')))).to.equal('refused-record');
      expect(classifySendError(new UserError('Failed to serialize a message.'))).to.equal('refused-record');
    });

    it('says lost-connection for a socket failure or a timeout', () => {
      expect(classifySendError(exhausted(new NetworkError('Connection closed')))).to.equal('lost-connection');
      expect(classifySendError(new TimeoutError('Request timed out'))).to.equal('lost-connection');
    });

    it('says retriable for anything else', () => {
      expect(classifySendError(new ProtocolError('NOT_ENOUGH_REPLICAS'))).to.equal('retriable');
      expect(classifySendError(new Error('unexpected'))).to.equal('retriable');
    });
  });

  it('isLostConnection() finds a network error behind a cause', () => {
    expect(isLostConnection(new Error('wrapped', { cause: new NetworkError('down') }))).to.equal(true);
    expect(isLostConnection(new ProtocolError('REBALANCE_IN_PROGRESS'))).to.equal(false);
  });

  it('isUnknownTopic() recognises UNKNOWN_TOPIC_OR_PARTITION only', () => {
    expect(isUnknownTopic(exhausted(new ProtocolError('UNKNOWN_TOPIC_OR_PARTITION')))).to.equal(true);
    expect(isUnknownTopic(new ProtocolError('LEADER_NOT_AVAILABLE'))).to.equal(false);
  });
});
