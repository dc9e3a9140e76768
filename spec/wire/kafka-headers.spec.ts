import { expect } from 'chai';
import { KafkaHeaders as NestKafkaHeaders } from '@nestjs/microservices';
import { NO_MESSAGE_HANDLER as NEST_NO_MESSAGE_HANDLER } from '@nestjs/microservices/constants';
import { KafkaHeaders, NO_MESSAGE_HANDLER } from '../../lib/wire/kafka-headers';

describe('KafkaHeaders', () => {
  it('names the five headers of the NestJS wire format', () => {
    expect(KafkaHeaders).to.deep.equal({
      CORRELATION_ID: 'kafka_correlationId',
      REPLY_TOPIC: 'kafka_replyTopic',
      REPLY_PARTITION: 'kafka_replyPartition',
      NEST_ERR: 'kafka_nest-err',
      NEST_IS_DISPOSED: 'kafka_nest-is-disposed',
    });
  });

  it("uses the very strings of @nestjs/microservices' KafkaHeaders enum", () => {
    for (const name of Object.keys(KafkaHeaders) as Array<keyof typeof KafkaHeaders>) {
      expect(KafkaHeaders[name], name).to.equal(NestKafkaHeaders[name]);
    }
  });
});

describe('NO_MESSAGE_HANDLER', () => {
  it("is @nestjs/microservices' text for a request no handler matches", () => {
    expect(NO_MESSAGE_HANDLER).to.equal(NEST_NO_MESSAGE_HANDLER);
    expect(NO_MESSAGE_HANDLER).to.equal(
      'There is no matching message handler defined in the remote service.',
    );
  });
});
