/**
 * The header names the NestJS Kafka transport reads and writes (Nest's `enums/kafka-headers.enum.ts`).
 * Only these five travel on the wire; the rest of Nest's enum is declared there but never used.
 */
export const KafkaHeaders = {
  /** Request: the client's id as a UTF-8 string. Reply: the same id as a Buffer. */
  CORRELATION_ID: 'kafka_correlationId',
  /** Request: the topic the server must reply to (`<pattern>.reply`). */
  REPLY_TOPIC: 'kafka_replyTopic',
  /** Request: the decimal partition of the reply topic this client consumes. */
  REPLY_PARTITION: 'kafka_replyPartition',
  /** Reply: the error payload (JSON for objects, raw text for strings); its presence makes the reply an error. */
  NEST_ERR: 'kafka_nest-err',
  /** Reply: one 0x00 byte on the final reply of a request; receivers only test its presence. */
  NEST_IS_DISPOSED: 'kafka_nest-is-disposed',
} as const;

/** One of the header names in `KafkaHeaders`. */
export type KafkaHeaderName = (typeof KafkaHeaders)[keyof typeof KafkaHeaders];

/** The error text a NestJS server replies with when no handler matches the request's topic (Nest's `constants.ts`). */
export const NO_MESSAGE_HANDLER = 'There is no matching message handler defined in the remote service.';
