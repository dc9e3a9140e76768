/**
 * Records between @platformatic/kafka's shapes and the port's: a consumed `Message` (bigint offsets, a Map of
 * Buffer headers) as a FetchedRecord, and an OutgoingRecord as a `MessageToProduce`.
 */
import type { FetchedRecord, OutgoingRecord, RecordHeaders } from '../kafka-record';

/** The fields of a consumed @platformatic/kafka message the port needs (its `Message` with Buffer serdes). */
export interface ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly timestamp: bigint;
  readonly key?: Buffer | null;
  readonly value?: Buffer | null;
  readonly headers: ReadonlyMap<Buffer | string, Buffer | string | undefined>;
}

/** An @platformatic/kafka `MessageToProduce` with Buffer serdes. */
export interface MessageToSend {
  topic: string;
  key?: Buffer;
  value?: Buffer;
  partition?: number;
  timestamp?: bigint;
  headers?: Map<Buffer, Buffer>;
}

/** A consumed message as the port's FetchedRecord: decimal-string offset and timestamp, named headers. */
export function toFetchedRecord(message: ConsumedMessage): FetchedRecord {
  const headers: RecordHeaders = {};
  for (const [name, value] of message.headers) {
    const key = typeof name === 'string' ? name : name.toString('utf8');
    if (value === undefined) {
      // A header without a value (null on the wire) is still a header: kafkajs hands it over as null, and the
      // wire decoding reads a missing value as null. @platformatic/kafka gives it as undefined.
      if (!Object.hasOwn(headers, key)) headers[key] = undefined;
      continue;
    }
    const existing = headers[key];
    // A repeated name keeps every value, as kafkajs hands them over.
    if (existing === undefined) headers[key] = value;
    else headers[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return {
    key: message.key ?? null,
    value: message.value ?? null,
    offset: message.offset.toString(),
    timestamp: message.timestamp.toString(),
    attributes: 0,
    headers,
  };
}

/** An outgoing record of `topic` as @platformatic/kafka's message to send. */
export function toMessageToSend(topic: string, record: OutgoingRecord): MessageToSend {
  const message: MessageToSend = { topic };
  const key = toBuffer(record.key);
  if (key !== undefined) message.key = key;
  const value = toBuffer(record.value);
  if (value !== undefined) message.value = value;
  if (record.partition !== undefined) message.partition = record.partition;
  if (record.timestamp !== undefined) message.timestamp = BigInt(record.timestamp);
  if (record.headers) message.headers = toHeaderMap(record.headers);
  return message;
}

/**
 * Headers as a Map keyed by Buffers. Each value gets its own key Buffer: distinct objects are distinct Map
 * keys, so a repeated header name (an array of values) is written once per value.
 */
function toHeaderMap(headers: RecordHeaders): Map<Buffer, Buffer> {
  const map = new Map<Buffer, Buffer>();
  for (const [name, value] of Object.entries(headers)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined) continue;
      map.set(Buffer.from(name, 'utf8'), typeof item === 'string' ? Buffer.from(item, 'utf8') : item);
    }
  }
  return map;
}

function toBuffer(value: Buffer | string | null | undefined): Buffer | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}
