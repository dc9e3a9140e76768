import type { FetchedRecord, RecordHeaders } from '../kafka/kafka-record';

/** A record as kafkajs hands it to `eachMessage`, with its topic and partition attached. */
export type RawKafkaRecord = FetchedRecord & { topic: string; partition: number };

/**
 * The record a handler sees, built field by field: spreading kafkajs's message would copy its batch
 * context too, and this runs for every record.
 */
export function toRawRecord(message: FetchedRecord, topic: string, partition: number): RawKafkaRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    timestamp: message.timestamp,
    attributes: message.attributes,
    size: message.size,
    key: message.key,
    value: message.value,
    headers: message.headers,
  } as RawKafkaRecord;
}

/** A decoded record: what handlers and deserializers see (the NestJS docs' `IncomingMessage`). */
export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  size?: number;
  attributes: number;
  key: unknown;
  value: unknown;
  headers: Record<string, unknown>;
}

/** Options of `KafkaParser`. */
export interface KafkaParserOptions {
  /**
   * Leave `value` as the raw Buffer (for Avro, Protobuf…). Key and headers are still decoded, as in Nest.
   * @defaultValue false
   */
  keepBinary?: boolean;
}

/**
 * Decodes incoming records the way NestJS's `KafkaParser` (`helpers/kafka-parser.ts`) does, on both
 * server and client.
 *
 * Returns a new object and never touches the record it is given: kafkajs hands the same record to a
 * retried `eachMessage`, which must see the original bytes (nestjs/nest#9956).
 */
export class KafkaParser {
  readonly #keepBinary: boolean;

  constructor(options: KafkaParserOptions = {}) {
    this.#keepBinary = options.keepBinary === true;
  }

  /** Decodes `value` (unless `keepBinary`), a non-nil `key` and every header with `decodeWireValue`. */
  parse(message: RawKafkaRecord): IncomingMessage {
    const parsed: IncomingMessage = { ...message, headers: decodeHeaders(message.headers) };
    if (!this.#keepBinary) parsed.value = decodeWireValue(message.value);
    if (message.key !== null && message.key !== undefined) parsed.key = decodeWireValue(message.key);
    return parsed;
  }
}

/**
 * Decodes one value, key or header the NestJS way:
 * nil → `null`; a Buffer whose first byte is 0x00 → that Buffer, untouched (a schema-registry magic byte,
 * nestjs/nest#7268); anything else → its UTF-8 text, JSON-parsed only when it starts with `{` or `[` and
 * kept as text when that parse fails. A repeated header (kafkajs gives an array) becomes its elements'
 * text joined with commas, exactly as Nest's `value.toString()` yields. Never throws on what kafkajs
 * delivers (Buffers, strings, arrays of them).
 *
 * `JSON.parse` makes a `__proto__` key an own property of the result, so hostile JSON cannot reach
 * `Object.prototype` here.
 */
export function decodeWireValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) {
    if (value.length > 0 && value[0] === 0) return value;
    return parseJsonLike(value.toString('utf8'));
  }
  return parseJsonLike(String(value));
}

function parseJsonLike(text: string): unknown {
  const first = text.charAt(0);
  if (first !== '{' && first !== '[') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Decodes every header with `decodeWireValue`; a `__proto__` header becomes an own key, never the prototype. */
export function decodeHeaders(headers: RecordHeaders | undefined): Record<string, unknown> {
  const decoded: Record<string, unknown> = {};
  if (headers === undefined || headers === null) return decoded;
  for (const name of Object.keys(headers)) {
    const value = decodeWireValue(headers[name]);
    // Assigning `__proto__` would set the prototype: that header is defined as an own key instead.
    if (name === '__proto__') {
      Object.defineProperty(decoded, name, { value, enumerable: true, writable: true, configurable: true });
    } else {
      decoded[name] = value;
    }
  }
  return decoded;
}
