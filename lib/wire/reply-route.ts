/**
 * Where a request wants its reply, read from NestJS's request headers (`ServerKafka.handleMessage`): the
 * correlation id and reply topic (both needed: without either the record is an event), and the reply
 * partition, when it is a partition number.
 */
import type { RecordHeaders } from '../kafka/kafka-record';
import { KafkaHeaders } from './kafka-headers';
import { parseReplyPartition, type ReplyMeta } from './reply-encoder';

export interface ReplyRoute {
  readonly correlationId: string;
  readonly replyTopic: string;
  /** Undefined when the header is absent or not a partition number: the partitioner then picks one. */
  readonly replyPartition: number | undefined;
}

/** The reply route of a record, or undefined for a record without a usable correlation id and reply topic. */
export function readReplyRoute(headers: RecordHeaders | undefined): ReplyRoute | undefined {
  const correlationId = headerText(headers?.[KafkaHeaders.CORRELATION_ID]);
  const replyTopic = headerText(headers?.[KafkaHeaders.REPLY_TOPIC]);
  if (!correlationId || !replyTopic) return undefined;
  return {
    correlationId,
    replyTopic,
    replyPartition: parseReplyPartition(headerText(headers?.[KafkaHeaders.REPLY_PARTITION])),
  };
}

/**
 * Why a record's request headers cannot be followed as they are, in words for a log line; undefined when
 * they can (or when there are none, an ordinary event).
 */
export function describeBrokenRoute(
  headers: RecordHeaders | undefined,
  route: ReplyRoute | undefined,
): string | undefined {
  if (!route) {
    const hasId = Boolean(headerText(headers?.[KafkaHeaders.CORRELATION_ID]));
    const hasTopic = Boolean(headerText(headers?.[KafkaHeaders.REPLY_TOPIC]));
    if (hasId === hasTopic) return undefined;
    const [present, absent] = hasId
      ? [KafkaHeaders.CORRELATION_ID, KafkaHeaders.REPLY_TOPIC]
      : [KafkaHeaders.REPLY_TOPIC, KafkaHeaders.CORRELATION_ID];
    return `a record carries ${present} but no usable ${absent}: it is handled as an event and gets no reply`;
  }
  const partition = headerText(headers?.[KafkaHeaders.REPLY_PARTITION]);
  if (partition === undefined || route.replyPartition !== undefined) return undefined;
  return `${KafkaHeaders.REPLY_PARTITION} ${JSON.stringify(partition)} is not a partition number: the reply goes where the partitioner puts it`;
}

/** The reply metadata of one reply on `route`. */
export function toReplyMeta(route: ReplyRoute, isDisposed: boolean, err?: unknown): ReplyMeta {
  // One literal with every field: spreading a shorter object and adding a key makes a slow object in V8.
  return { correlationId: route.correlationId, replyPartition: route.replyPartition, err, isDisposed };
}

// The raw header bytes, not the parser's decoding: an id that looks like JSON must echo back byte for byte.
function headerText(value: RecordHeaders[string]): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}
