/**
 * The OpenTelemetry messaging semantic conventions rxkafka's spans follow (the "Development" conventions of
 * semantic-conventions 1.27 and later, as instrumentations emit them with `OTEL_SEMCONV_STABILITY_OPT_IN=
 * messaging`): span names `{operation} {destination}`, `send` spans of kind PRODUCER, `process` spans of
 * kind CONSUMER, and these attribute names.
 */
import { isUtf8 } from 'node:buffer';

export const MessagingAttributes = {
  SYSTEM: 'messaging.system',
  OPERATION_NAME: 'messaging.operation.name',
  OPERATION_TYPE: 'messaging.operation.type',
  DESTINATION_NAME: 'messaging.destination.name',
  DESTINATION_PARTITION_ID: 'messaging.destination.partition.id',
  CONSUMER_GROUP_NAME: 'messaging.consumer.group.name',
  CLIENT_ID: 'messaging.client.id',
  BATCH_MESSAGE_COUNT: 'messaging.batch.message_count',
  CONVERSATION_ID: 'messaging.message.conversation_id',
  KAFKA_OFFSET: 'messaging.kafka.offset',
  KAFKA_MESSAGE_KEY: 'messaging.kafka.message.key',
  KAFKA_TOMBSTONE: 'messaging.kafka.message.tombstone',
  ERROR_TYPE: 'error.type',
} as const;

/** `messaging.system` of every rxkafka span. */
export const MESSAGING_SYSTEM = 'kafka';

/**
 * A record key as `messaging.kafka.message.key`: a string as it is, a Buffer when it is UTF-8 text (not a
 * schema-registry key, whose first byte is 0x00); undefined for anything else, which is left out.
 */
export function toKeyAttribute(key: unknown): string | undefined {
  if (typeof key === 'string') return key;
  if (Buffer.isBuffer(key) && key.length > 0 && key[0] !== 0 && isUtf8(key)) return key.toString('utf8');
  return undefined;
}

/**
 * `error.type`: low-cardinality, so a code (RxKafkaError's `RXK_*`, a Node `ECONNREFUSED`) when the error has
 * one, else its class name (`RpcException`, not the `Error` most subclasses leave as their `name`); `_OTHER`
 * for a thrown non-error, as the conventions say.
 */
export function toErrorType(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '_OTHER';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.length > 0) return code;
  const name = (error as { name?: unknown }).name;
  if (typeof name === 'string' && name.length > 0 && name !== 'Error') return name;
  const className = (error as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof className === 'string' && className.length > 0 && className !== 'Object') return className;
  return typeof name === 'string' && name.length > 0 ? name : '_OTHER';
}
