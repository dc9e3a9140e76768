import { KafkaHeaders } from './kafka-headers';
import type { IncomingMessage } from './parser';

/** Turns a decoded record into what the server (a request packet) or the client (a reply packet) needs. */
export interface Deserializer<T> {
  deserialize(message: IncomingMessage, options?: { channel?: string }): T | Promise<T>;
}

/** What a server handler is routed by and given. */
export interface RequestPacket {
  pattern: string;
  data: unknown;
}

/** One reply as the client sees it: a value, the end of the stream, or an error (which also ends it). */
export interface ReplyPacket {
  id: string;
  err?: unknown;
  response?: unknown;
  isDisposed: boolean;
}

/**
 * The server's default deserializer, as NestJS's `KafkaRequestDeserializer`: the pattern is the channel
 * (the topic) and the data is the record's value.
 *
 * Two deliberate differences from Nest's (`deserializers/kafka-request.deserializer.ts`, which returns
 * `data?.value ?? data`):
 * - a record whose value is `null` (a tombstone) gives `null` as `data`. Nest gives the whole kafkajs
 *   message instead (`magicByte`, `batchContext`, `isControlRecord`, … plus `topic` and `partition`), so a
 *   handler cannot tell a tombstone from a payload shaped like a record. The record itself is always
 *   `context.getMessage()`.
 * - without options (Nest yields an undefined pattern and data) it falls back to the record's topic.
 */
export class KafkaRequestDeserializer implements Deserializer<RequestPacket> {
  deserialize(message: IncomingMessage, options?: { channel?: string }): RequestPacket {
    return { pattern: options?.channel ?? message.topic, data: message.value };
  }
}

/**
 * The client's default deserializer, as NestJS's `KafkaResponseDeserializer`
 * (`deserializers/kafka-response.deserializer.ts`):
 * a `kafka_nest-err` header → `{ id, err, isDisposed: true }` (err as the parser decoded it: an object
 * for JSON, else text); a `kafka_nest-is-disposed` header → `{ id, response, isDisposed: true }`;
 * otherwise `{ id, response, isDisposed: false }`. A header counts as present unless it is `undefined`.
 *
 * Returns `undefined` for a record without a usable correlation id header (Nest's client drops those
 * before deserializing; its deserializer would throw).
 */
export class KafkaResponseDeserializer implements Deserializer<ReplyPacket | undefined> {
  deserialize(message: IncomingMessage): ReplyPacket | undefined {
    const id = toCorrelationId(message.headers[KafkaHeaders.CORRELATION_ID]);
    if (id === undefined) return undefined;
    const err = message.headers[KafkaHeaders.NEST_ERR];
    if (err !== undefined) return { id, err, isDisposed: true };
    const isDisposed = message.headers[KafkaHeaders.NEST_IS_DISPOSED] !== undefined;
    return { id, response: message.value, isDisposed };
  }
}

function toCorrelationId(header: unknown): string | undefined {
  if (typeof header === 'string') return header;
  if (Buffer.isBuffer(header)) return header.toString('utf8');
  if (header === null || header === undefined) return undefined;
  // Mirrors Nest's `.toString()` on whatever the parser produced; an id that cannot become text matches nothing.
  try {
    return String(header);
  } catch {
    return undefined;
  }
}
