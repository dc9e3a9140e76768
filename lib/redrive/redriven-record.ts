/**
 * What a re-drive writes back for one dead letter: the record its handler failed on, as the user wrote it
 * (key, value, the user's headers), without the dead-letter and retry headers, and with three headers
 * saying where it was re-driven from, by whom and when.
 */
import type { FetchedRecord, OutgoingRecord, RecordHeaders } from '../kafka/kafka-record';
import { DeadLetterHeaders } from '../pipeline/dead-letter';
import { readHeader, RetryHeaders } from '../pipeline/retry-headers';

/** Header names a re-driven record carries (Spring Kafka's `kafka_` prefix, as the dead-letter headers). */
export const RedriveHeaders = {
  /** Where the dead letter was: `<dead-letter topic>/<partition>/<offset>`. */
  FROM: 'kafka_redriven-from',
  /** Who re-drove it: the `by` given to `redriveDeadLetters()` or the inspector command. */
  BY: 'kafka_redriven-by',
  /** When, in epoch milliseconds. */
  AT: 'kafka_redriven-at',
} as const;

/** Why a dead letter was not re-driven. */
export type RedriveSkipReason = 'no-original-topic' | 'unknown-topic' | 'filtered';

// The headers a dead letter gained on its way to the dead-letter topic: none of them is the user's.
const DROPPED = new Set<string>([...Object.values(DeadLetterHeaders), ...Object.values(RetryHeaders)]);

/** The original topic a dead letter names; undefined when the header is missing or empty. */
export function readOriginalTopic(headers: RecordHeaders | undefined): string | undefined {
  const topic = readHeader(headers, DeadLetterHeaders.ORIGINAL_TOPIC)?.trim();
  return topic ? topic : undefined;
}

/** Where a dead letter was read, and who re-drives it when. */
export interface RedriveStamp {
  readonly deadLetterTopic: string;
  readonly partition: number;
  readonly by: string;
  readonly atMs: number;
}

/** The record to write back to the original topic for `letter`: same key and value, the user's headers. */
export function toRedrivenRecord(letter: FetchedRecord, stamp: RedriveStamp): OutgoingRecord {
  const headers: RecordHeaders = {};
  for (const [name, value] of Object.entries(letter.headers ?? {})) {
    if (value !== undefined && !DROPPED.has(name)) headers[name] = value;
  }
  headers[RedriveHeaders.FROM] = `${stamp.deadLetterTopic}/${stamp.partition}/${letter.offset}`;
  headers[RedriveHeaders.BY] = stamp.by;
  headers[RedriveHeaders.AT] = String(stamp.atMs);
  return { key: letter.key, value: letter.value, headers };
}
