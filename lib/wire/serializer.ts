import type { KafkaEnvelope, OutgoingMessage } from './outgoing-message';

/** Turns an application value into a Kafka record. Swap it in the options to change the wire format. */
export interface Serializer {
  serialize(value: unknown, options?: { pattern?: string }): OutgoingMessage | Promise<OutgoingMessage>;
}

// Compared by source text rather than identity so plain objects from another realm (vm) also count.
const OBJECT_SOURCE = Function.prototype.toString.call(Object);

/**
 * The default serializer: the wire format of NestJS 11's `KafkaRequestSerializer`
 * (`serializers/kafka-request.serializer.ts`), used for requests, events and replies alike.
 *
 * - An object with a `key` or `value` property (own or inherited) is an envelope; anything else is
 *   wrapped as `{ value }`. So `{ time: 1, value: 12 }` sends `"12"` (nestjs/nest#12886).
 * - `value` and a non-nil `key` go through `encodeWireValue`; missing `headers` become `{}`.
 *
 * Unlike Nest, it never mutates the caller's object: it returns a fresh record holding only the fields
 * kafkajs reads (`key`, `value`, `headers`, `partition`, `timestamp`), with a copy of the headers.
 * Throws what `JSON.stringify` throws (a cycle, a BigInt inside an object).
 */
export class KafkaRequestSerializer implements Serializer {
  serialize(value: unknown): OutgoingMessage {
    if (!isEnvelope(value)) return { value: encodeWireValue(value), headers: {} };
    const message: OutgoingMessage = {
      value: encodeWireValue(value.value),
      headers: value.headers === null || value.headers === undefined ? {} : { ...value.headers },
    };
    if ('key' in value) message.key = isNil(value.key) ? value.key : encodeWireValue(value.key);
    if ('partition' in value) message.partition = value.partition;
    if ('timestamp' in value) message.timestamp = value.timestamp;
    return message;
  }
}

/**
 * Encodes one value or key the way NestJS 11 does:
 * nil → `null`; strings raw (not JSON-quoted); Buffers as-is; plain objects, arrays and objects whose
 * `toString` is `Object.prototype.toString` (class instances) → JSON; anything else → its `toString()`
 * (numbers `"5"`, booleans `"true"`, a Date its long English form).
 * Returns `null` where Nest would return `undefined` (an object whose `toJSON` yields `undefined`), which
 * kafkajs would reject. Throws what `JSON.stringify` or the value's `toString` throws.
 */
export function encodeWireValue(value: unknown): string | Buffer | null {
  if (isNil(value)) return null;
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (isJsonEncoded(value)) return JSON.stringify(value) ?? null;
  return (value as { toString(): string }).toString();
}

function isEnvelope(value: unknown): value is KafkaEnvelope {
  return typeof value === 'object' && value !== null && ('key' in value || 'value' in value);
}

function isJsonEncoded(value: unknown): boolean {
  const isObject = typeof value === 'object' && value !== null;
  if (isObject && (Array.isArray(value) || isPlainObject(value))) return true;
  return (value as { toString?: unknown }).toString === Object.prototype.toString;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype) return true;
  const ctor: unknown = Object.prototype.hasOwnProperty.call(proto, 'constructor')
    ? (proto as { constructor: unknown }).constructor
    : undefined;
  return typeof ctor === 'function' && Function.prototype.toString.call(ctor) === OBJECT_SOURCE;
}

function isNil(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}
