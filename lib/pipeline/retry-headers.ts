/**
 * The headers of a record on its way through retry topics. Where it came from and why it failed use the
 * dead-letter header names (Spring Kafka's `kafka_dlt-*`), so a dead letter that went through retries reads
 * like any other; the attempt and the times are rxkafka's own.
 */
import type { OutgoingRecord, RecordHeaders } from '../kafka/kafka-record';
import type { RawKafkaRecord } from '../wire/parser';
import { createDeadLetter, DeadLetterHeaders } from './dead-letter';

export const RetryHeaders = {
  /** The run this record is due for: 2 on the first retry topic, 3 on the second, and so on. */
  ATTEMPT: 'rxkafka_retry-attempt',
  /** When the record may run again, in epoch milliseconds. */
  DUE_AT: 'rxkafka_retry-due-at',
  /** When the handler first failed on the record, in epoch milliseconds. */
  FIRST_FAILURE_AT: 'rxkafka_retry-first-failure-at',
  /** The last error's `code` (an RxKafkaError's, a Node system error's), when it had a string one. */
  EXCEPTION_CODE: 'rxkafka_dlt-exception-code',
} as const;

/** What forwarding a failed record needs to know. */
export interface RetryForward {
  readonly error: unknown;
  /** Runs so far, this one included. */
  readonly attempts: number;
  /** `Controller.method`. */
  readonly handler: string;
  readonly dueAtMs: number;
  readonly nowMs: number;
}

/**
 * The record to write to the next retry topic: the original key, value and headers, the dead-letter
 * headers of its first failure's place (kept from the first hop on), the last error, and the retry headers.
 */
export function createRetryRecord(record: RawKafkaRecord, forward: RetryForward): OutgoingRecord {
  const letter = createDeadLetter(record, forward);
  const headers: RecordHeaders = {
    ...letter.headers,
    ...keepOrigin(record.headers),
    [RetryHeaders.ATTEMPT]: String(forward.attempts + 1),
    [RetryHeaders.DUE_AT]: String(forward.dueAtMs),
    [RetryHeaders.FIRST_FAILURE_AT]:
      readHeader(record.headers, RetryHeaders.FIRST_FAILURE_AT) ?? String(forward.nowMs),
  };
  return { key: record.key, value: record.value, headers: withErrorCode(headers, forward.error) };
}

/**
 * The dead letter of a record that failed for good after (or instead of) its retries: as any dead letter,
 * except that a record from a retry topic keeps the place of its first failure, not the retry topic's.
 */
export function createRetriedDeadLetter(
  record: RawKafkaRecord,
  failure: { error: unknown; attempts: number; handler: string },
): OutgoingRecord {
  const letter = createDeadLetter(record, failure);
  const headers: RecordHeaders = {
    ...letter.headers,
    ...keepOrigin(record.headers),
  };
  return { ...letter, headers: withErrorCode(headers, failure.error) };
}

/** The attempt a retry record is due for; undefined when the header is missing or not a whole number ≥ 2. */
export function readAttempt(headers: RecordHeaders | undefined): number | undefined {
  const text = readHeader(headers, RetryHeaders.ATTEMPT);
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const attempt = Number(text);
  return Number.isSafeInteger(attempt) && attempt >= 2 ? attempt : undefined;
}

/** When a retry record may run; undefined when the header is missing or not epoch milliseconds. */
export function readDueAt(headers: RecordHeaders | undefined): number | undefined {
  const text = readHeader(headers, RetryHeaders.DUE_AT);
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const dueAt = Number(text);
  return Number.isSafeInteger(dueAt) ? dueAt : undefined;
}

/** A header's value as text: its first value when repeated. */
export function readHeader(headers: RecordHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

const ORIGIN = [
  DeadLetterHeaders.ORIGINAL_TOPIC,
  DeadLetterHeaders.ORIGINAL_PARTITION,
  DeadLetterHeaders.ORIGINAL_OFFSET,
  DeadLetterHeaders.ORIGINAL_TIMESTAMP,
] as const;

// Once a record is on a retry topic, its origin headers name the source record: each hop keeps them.
function keepOrigin(headers: RecordHeaders | undefined): RecordHeaders {
  if (readHeader(headers, RetryHeaders.ATTEMPT) === undefined) return {};
  const kept: RecordHeaders = {};
  for (const name of ORIGIN) {
    const value = headers?.[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}

// The last error's code replaces an earlier hop's, and an error without one leaves none behind.
function withErrorCode(headers: RecordHeaders, error: unknown): RecordHeaders {
  const { [RetryHeaders.EXCEPTION_CODE]: _earlier, ...rest } = headers;
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? { ...rest, [RetryHeaders.EXCEPTION_CODE]: code } : rest;
}
