import { expect } from 'chai';
import { KafkaRefusalError, toKafkaRefusal } from '../../../lib/kafka/platformatic/kafka-refusal';
import { classifySendError } from '../../../lib/kafka/platformatic/platformatic-errors';
import { loadPlatformatic } from '../../../lib/kafka/platformatic/platformatic-library';

const library = loadPlatformatic();
const { MultipleErrors, NetworkError, ProtocolError, UserError } = library;

describe('toKafkaRefusal()', () => {
  it("lifts a nested protocol error's name into type and its description into the message", () => {
    const error = new MultipleErrors('Producing messages failed.', [new ProtocolError('MESSAGE_TOO_LARGE')]);
    const refusal = toKafkaRefusal(error, library) as KafkaRefusalError;
    expect(refusal).to.be.instanceOf(KafkaRefusalError);
    expect(refusal.type).to.equal('MESSAGE_TOO_LARGE');
    expect(refusal.message).to.equal(
      'Producing messages failed: The request included a message larger than the max message size the ' +
        'server will accept. (MESSAGE_TOO_LARGE)',
    );
    expect(refusal.cause).to.equal(error);
  });

  it("reads the metadata lookup's 'Unknown topic' as Kafka's UNKNOWN_TOPIC_OR_PARTITION", () => {
    const refusal = toKafkaRefusal(new UserError('Unknown topic orders.'), library) as KafkaRefusalError;
    expect(refusal.type).to.equal('UNKNOWN_TOPIC_OR_PARTITION');
    expect(refusal.message).to.equal(
      'Unknown topic orders: This server does not host this topic-partition. (UNKNOWN_TOPIC_OR_PARTITION)',
    );
  });

  it('leaves a failure Kafka did not answer unchanged', () => {
    const lost = new MultipleErrors('Producing messages failed.', [new NetworkError('Connection closed')]);
    expect(toKafkaRefusal(lost, library)).to.equal(lost);
  });

  it('keeps what classifySendError() says about the error', () => {
    for (const error of [
      new MultipleErrors('Producing messages failed.', [new ProtocolError('MESSAGE_TOO_LARGE')]),
      new UserError('Unknown topic orders.'),
      new ProtocolError('NOT_LEADER_OR_FOLLOWER'),
    ]) {
      expect(classifySendError(toKafkaRefusal(error, library))).to.equal(classifySendError(error));
    }
  });
});
