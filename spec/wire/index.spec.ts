import { expect } from 'chai';
import * as wire from '../../lib/wire';

describe('lib/wire (index)', () => {
  it('exports the wire codecs by name and nothing else', () => {
    expect(Object.keys(wire).sort()).to.deep.equal(
      [
        'KafkaHeaders',
        'KafkaParser',
        'KafkaRequestDeserializer',
        'KafkaRequestSerializer',
        'KafkaResponseDeserializer',
        'NO_MESSAGE_HANDLER',
        'createCorrelationId',
        'decodeWireValue',
        'encodeErrorHeader',
        'encodeReply',
        'encodeRequest',
        'encodeWireValue',
        'parseReplyPartition',
        'toErrorPayload',
      ].sort(),
    );
  });
});
