/**
 * The OpenTelemetry messaging semantic conventions rxkafka's spans follow (the "Development" conventions of
 * semantic-conventions 1.27 and later, as instrumentations emit them with `OTEL_SEMCONV_STABILITY_OPT_IN=
 * messaging`): span names `{operation} {destination}`, `send` spans of kind PRODUCER, `process` spans of
 * kind CONSUMER, and these attribute names.
 */
import { isUtf8 } from 'node:buffer';
import type { Attributes } from '@opentelemetry/api';

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

/** Who sends or consumes: a connection's client id, and its consumer group when it is a group member. */
export interface MessagingIdentity {
  readonly clientId: string;
  /** The consumer group; absent for a producer-only connection. */
  readonly groupId?: string;
}

/**
 * The attributes every span and metric point of one operation carries: system, operation, destination (and
 * its partition when the operation has one), and, given the connection, its client id and, for a process,
 * its consumer group. Spans and metrics build on this one set, so a dashboard can join them.
 */
export function operationAttributes(
  operation: 'send' | 'process',
  topic: string,
  partition?: number,
  identity?: MessagingIdentity,
): Attributes {
  const attributes: Attributes = {
    [MessagingAttributes.SYSTEM]: MESSAGING_SYSTEM,
    [MessagingAttributes.OPERATION_NAME]: operation,
    [MessagingAttributes.OPERATION_TYPE]: operation,
    [MessagingAttributes.DESTINATION_NAME]: topic,
  };
  if (partition !== undefined) attributes[MessagingAttributes.DESTINATION_PARTITION_ID] = String(partition);
  if (identity === undefined) return attributes;
  attributes[MessagingAttributes.CLIENT_ID] = identity.clientId;
  if (operation === 'process' && identity.groupId !== undefined)
    attributes[MessagingAttributes.CONSUMER_GROUP_NAME] = identity.groupId;
  return attributes;
}

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
