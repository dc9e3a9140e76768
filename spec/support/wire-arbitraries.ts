/**
 * fast-check arbitraries for what kafkajs can hand the runtime and what applications hand the serializer:
 * random bytes, text that looks like JSON (and text that only starts like it), schema-registry payloads
 * (a leading 0x00 byte), repeated headers, NestJS's header names with garbage values, and topic names.
 */
import fc from 'fast-check';
import type { RecordHeaders } from '../../lib/kafka/kafka-record';
import { KafkaHeaders } from '../../lib/wire/kafka-headers';
import type { RawKafkaRecord } from '../../lib/wire/parser';

/** Text the parser treats specially: JSON objects and arrays, broken JSON, a leading `{` or `[` alone. */
const jsonLikeText = fc.oneof(
  fc.json({ maxDepth: 2 }),
  fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value) ?? 'null'),
  fc.string({ maxLength: 12 }).map((text) => `{${text}`),
  fc.string({ maxLength: 12 }).map((text) => `[${text}`),
  fc.constantFrom('{}', '[]', '{', '[', '{"__proto__":{"polluted":1}}', '[1,2', '{"a":1}x'),
);

/** Any text: ASCII, any code unit (lone surrogates included), or JSON-looking. */
export const wireText = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  jsonLikeText,
);

/** Bytes as kafkajs delivers them: random, UTF-8 of any text, or a schema-registry payload (0x00 first). */
export const wireBytes: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 32 }).map((bytes) => Buffer.from(bytes)),
  wireText.map((text) => Buffer.from(text, 'utf8')),
  fc.uint8Array({ maxLength: 16 }).map((bytes) => Buffer.concat([Buffer.alloc(1), bytes])),
);

/** One header value: a Buffer (what kafkajs fetches), a string (what a producer may set), or repeated values. */
export const headerValue: fc.Arbitrary<RecordHeaders[string]> = fc.oneof(
  { weight: 4, arbitrary: wireBytes },
  { weight: 2, arbitrary: wireText },
  { weight: 1, arbitrary: fc.array(fc.oneof(wireBytes, wireText), { maxLength: 3 }) },
);

/** A decimal partition header, valid or not: `"0"`, `"2147483648"`, `"-1"`, `" 1"`, `"1.5"`, `"01"`, garbage. */
export const replyPartitionText = fc.oneof(
  fc.nat({ max: 2 ** 31 - 1 }).map(String),
  fc.integer({ min: 2 ** 31, max: 2 ** 40 }).map(String),
  fc.integer({ min: -5, max: -1 }).map(String),
  fc.constantFrom('', ' 1', '1 ', '1.5', '01', '0x1', '1e3', 'NaN', 'abc', '٣'),
  fc.string({ maxLength: 6 }),
);

/** Header names: NestJS's five, names that are Object.prototype members, and random ones. */
export const headerName = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...Object.values(KafkaHeaders)) },
  { weight: 1, arbitrary: fc.constantFrom('constructor', 'toString', 'hasOwnProperty', 'valueOf', 'trace') },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
);

/** A header set; `withProto` also allows a header named `__proto__`. */
export function headerSet(withProto = false): fc.Arbitrary<RecordHeaders> {
  const name = withProto ? fc.oneof(headerName, fc.constant('__proto__')) : headerName;
  return fc.array(fc.tuple(name, headerValue), { maxLength: 6 }).map((entries) => {
    const headers: RecordHeaders = {};
    for (const [key, value] of entries) {
      // Defined, never assigned: a `__proto__` header must be an own key, as kafkajs's decoder makes it.
      Object.defineProperty(headers, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return headers;
  });
}

/** Headers of a request, half a request, or a broken one: NestJS's three with random or missing values. */
export const requestHeaders: fc.Arbitrary<RecordHeaders> = fc
  .record(
    {
      id: fc.oneof(headerValue, fc.stringMatching(/^[0-9a-f]{21}$/)),
      replyTopic: fc.oneof(
        headerValue,
        topicName().map((topic) => `${topic}.reply`),
      ),
      replyPartition: fc.oneof(replyPartitionText, headerValue),
      extra: headerSet(),
    },
    { requiredKeys: ['extra'] },
  )
  .map(({ id, replyTopic, replyPartition, extra }) => {
    const headers: RecordHeaders = { ...extra };
    if (id !== undefined) headers[KafkaHeaders.CORRELATION_ID] = id;
    if (replyTopic !== undefined) headers[KafkaHeaders.REPLY_TOPIC] = replyTopic;
    if (replyPartition !== undefined) headers[KafkaHeaders.REPLY_PARTITION] = replyPartition;
    return headers;
  });

/** A Kafka topic name (legal characters, 1 to 40 of them), or one of `known` when given. */
export function topicName(known: readonly string[] = []): fc.Arbitrary<string> {
  const legal = fc.stringMatching(/^[a-zA-Z0-9._-]{1,40}$/);
  return known.length === 0 ? legal : fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known) }, legal);
}

/** A fetched record as kafkajs hands it to eachBatch, with its topic and partition attached. */
export function rawRecord(
  options: { topics?: readonly string[]; headers?: fc.Arbitrary<RecordHeaders | undefined> } = {},
): fc.Arbitrary<RawKafkaRecord> {
  return fc
    .record({
      topic: topicName(options.topics),
      partition: fc.nat({ max: 64 }),
      offset: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
      key: fc.option(wireBytes, { nil: null }),
      value: fc.option(wireBytes, { nil: null, freq: 8 }),
      headers: options.headers ?? fc.option(headerSet(), { nil: undefined, freq: 10 }),
    })
    .map(
      ({ topic, partition, offset, key, value, headers }) =>
        ({
          topic,
          partition,
          offset,
          timestamp: '1700000000000',
          attributes: 0,
          key,
          value,
          headers,
        }) as RawKafkaRecord,
    );
}

/** Application values: scalars, nested objects and arrays, Dates, Maps, boxed values, null prototypes. */
export const applicationValue = fc.anything({
  maxDepth: 3,
  maxKeys: 4,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
});

/** Envelopes `{ key?, value?, headers?, partition?, timestamp? }` plus fields kafkajs ignores. */
export const envelope = fc.record(
  {
    key: fc.oneof(applicationValue, fc.constantFrom(null, undefined)),
    value: applicationValue,
    headers: fc.oneof(headerSet(), fc.constantFrom(null, undefined)),
    partition: fc.nat({ max: 8 }),
    timestamp: fc.nat().map(String),
    time: fc.nat(),
  },
  { requiredKeys: [] },
);
