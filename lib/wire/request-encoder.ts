import { KafkaHeaders } from './kafka-headers';
import type { OutgoingMessage } from './outgoing-message';

/** What a request record carries besides its payload: where and how the server should reply. */
export interface RequestMeta {
  correlationId: string;
  replyTopic: string;
  replyPartition: number;
}

/**
 * Adds the three request headers (`kafka_correlationId`, `kafka_replyTopic`, `kafka_replyPartition`) as
 * UTF-8 strings after the caller's headers, as NestJS's `ClientKafka.publish` does; a caller's header of
 * the same name is overwritten in place. Returns a new record; `serialized` is left as it was.
 */
export function encodeRequest(serialized: OutgoingMessage, meta: RequestMeta): OutgoingMessage {
  return {
    ...serialized,
    headers: {
      ...serialized.headers,
      [KafkaHeaders.CORRELATION_ID]: meta.correlationId,
      [KafkaHeaders.REPLY_TOPIC]: meta.replyTopic,
      [KafkaHeaders.REPLY_PARTITION]: String(meta.replyPartition),
    },
  };
}
