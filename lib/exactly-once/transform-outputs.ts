/**
 * What an exactly-once transform (or `@EventPattern(topic, { exactlyOnce: true })` handler) returns, and
 * that result as the records to produce, encoded as the client's serializer encodes values.
 */
import { isObservable, lastValueFrom, toArray, type Observable } from 'rxjs';
import { toEncodableMessage } from '../connection/encodable-message';
import type { OutgoingRecord, RecordHeaders } from '../kafka/kafka-record';
import type { ProduceRequest } from '../kafka/record-producer';
import { encodeWireValue } from '../wire/serializer';
import { isPromiseLike } from '../pipeline/to-observable';

/**
 * One record a transform produces. `value` and `key` are encoded as the client's serializer encodes them
 * (strings and Buffers as they are, objects and arrays as JSON, other values by `toString()`).
 */
export interface ExactlyOnceOutput {
  readonly topic: string;
  readonly key?: unknown;
  readonly value: unknown;
  readonly headers?: RecordHeaders;
  readonly partition?: number;
}

/** What a transform may return: nothing, one output, an array, or a Promise or Observable of them. */
export type TransformResult =
  | ExactlyOnceOutput
  | readonly ExactlyOnceOutput[]
  | void
  | null
  | Promise<ExactlyOnceOutput | readonly ExactlyOnceOutput[] | void | null>
  | Observable<ExactlyOnceOutput>;

/** One record to produce, with its topic. */
export interface TopicRecord {
  readonly topic: string;
  readonly record: OutgoingRecord;
}

/**
 * The outputs `result` stands for: synchronously for a plain value or array (no promise per record),
 * else a Promise. Rejects (or throws) when an output has no topic, as a failed transform.
 */
export function collectOutputs(result: TransformResult): TopicRecord[] | Promise<TopicRecord[]> {
  if (isObservable(result)) return lastValueFrom(result.pipe(toArray())).then(toTopicRecords);
  if (isPromiseLike(result)) return Promise.resolve(result).then(toTopicRecords);
  return toTopicRecords(result);
}

function toTopicRecords(
  result: ExactlyOnceOutput | readonly ExactlyOnceOutput[] | void | null | undefined,
): TopicRecord[] {
  if (result === undefined || result === null) return [];
  const outputs: readonly ExactlyOnceOutput[] = Array.isArray(result)
    ? (result as readonly ExactlyOnceOutput[])
    : [result as ExactlyOnceOutput];
  return outputs.map(toTopicRecord);
}

/** One output as a record: `value` and a non-nil `key` encoded as KafkaRequestSerializer does. */
export function toTopicRecord(output: ExactlyOnceOutput): TopicRecord {
  if (typeof output !== 'object' || output === null || typeof output.topic !== 'string' || !output.topic) {
    throw new TypeError(
      'a transform output must be an object with a topic: { topic, value, key?, headers? }',
    );
  }
  const record: OutgoingRecord = { value: encodeWireValue(output.value) };
  if (output.key !== undefined) record.key = output.key === null ? null : encodeWireValue(output.key);
  if (output.headers) record.headers = { ...output.headers };
  if (output.partition !== undefined) record.partition = output.partition;
  return { topic: output.topic, record };
}

/**
 * One produce request for `records`, grouped by topic in order of first appearance, each record shaped for
 * kafkajs's encoder (see toEncodableMessage).
 */
export function toProduceRequest(records: readonly TopicRecord[]): ProduceRequest {
  const byTopic = new Map<string, OutgoingRecord[]>();
  for (const { topic, record } of records) {
    const message = toEncodableMessage(record);
    const messages = byTopic.get(topic);
    if (messages) messages.push(message);
    else byTopic.set(topic, [message]);
  }
  return { topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) };
}
