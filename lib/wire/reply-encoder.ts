import { encodeErrorHeader } from './error-header';
import { KafkaHeaders } from './kafka-headers';
import type { OutgoingMessage } from './outgoing-message';

/** What a reply record carries besides its payload. */
export interface ReplyMeta {
  correlationId: string;
  /** The requester's partition from `kafka_replyPartition` (see `parseReplyPartition`); absent lets kafkajs pick. */
  replyPartition?: number;
  /** An error payload (see `toErrorPayload`); present (not `undefined`) makes this an error reply. */
  err?: unknown;
  /** True on the last reply of a request. */
  isDisposed: boolean;
}

// One 0x00 byte, shared by every last reply: kafkajs only reads header values.
const IS_DISPOSED_VALUE = Buffer.alloc(1);

// Kafka partition ids are int32.
const MAX_PARTITION = 2 ** 31 - 1;

/**
 * Builds one reply record as NestJS's `ServerKafka.sendMessage` does (`server/server-kafka.ts`):
 * `partition` = the reply partition when it is an integer ≥ 0 (else the serialized record's own, if any);
 * `kafka_correlationId` = `Buffer.from(id)`; with `err`, value `null` and `kafka_nest-err` =
 * `encodeErrorHeader(err)`; with `isDisposed`, `kafka_nest-is-disposed` = one 0x00 byte.
 * Nest headers come after the serialized record's headers. Returns a new record holding the fields kafkajs
 * reads (`key`, `value`, `headers`, `partition`, `timestamp`); `serialized` is left as it was.
 */
export function encodeReply(serialized: OutgoingMessage | undefined, meta: ReplyMeta): OutgoingMessage {
  // Built field by field rather than spread from `serialized`: V8 turns a spread copy that later gains a key
  // (`partition`, on almost every reply) into a slow object, about a microsecond per reply.
  const reply: OutgoingMessage = {
    value: meta.err === undefined ? (serialized?.value ?? null) : null,
    headers: { ...serialized?.headers, [KafkaHeaders.CORRELATION_ID]: Buffer.from(meta.correlationId) },
  };
  if (serialized !== undefined) {
    if (Object.hasOwn(serialized, 'key')) reply.key = serialized.key;
    if (Object.hasOwn(serialized, 'partition')) reply.partition = serialized.partition;
    if (Object.hasOwn(serialized, 'timestamp')) reply.timestamp = serialized.timestamp;
  }
  if (isPartition(meta.replyPartition)) reply.partition = meta.replyPartition;
  if (meta.err !== undefined) reply.headers[KafkaHeaders.NEST_ERR] = encodeErrorHeader(meta.err);
  if (meta.isDisposed) reply.headers[KafkaHeaders.NEST_IS_DISPOSED] = IS_DISPOSED_VALUE;
  return reply;
}

/**
 * Reads a `kafka_replyPartition` header (a string or Buffer, as received or decoded): a plain decimal
 * integer from 0 to 2³¹−1 → that number; anything else (`"abc"`, `"-1"`, `"1.5"`, `""`, `" 1"`, a number,
 * an object) → `undefined`, so the reply goes wherever kafkajs's partitioner sends it rather than to a
 * NaN partition (where Nest's `parseFloat` would send it).
 */
export function parseReplyPartition(header: unknown): number | undefined {
  const text =
    typeof header === 'string' ? header : Buffer.isBuffer(header) ? header.toString('utf8') : undefined;
  if (text === undefined || !/^[0-9]{1,10}$/.test(text)) return undefined;
  const partition = Number(text);
  return partition <= MAX_PARTITION ? partition : undefined;
}

function isPartition(value: number | undefined): value is number {
  return value !== undefined && Number.isInteger(value) && value >= 0 && value <= MAX_PARTITION;
}
