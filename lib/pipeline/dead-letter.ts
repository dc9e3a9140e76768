import type { OutgoingRecord, RecordHeaders } from '../kafka/kafka-record';
import type { RawKafkaRecord } from '../wire/parser';

/** Header names of a dead letter: Spring Kafka's `kafka_dlt-*` names, so its tooling reads them too. */
export const DeadLetterHeaders = {
  ORIGINAL_TOPIC: 'kafka_dlt-original-topic',
  ORIGINAL_PARTITION: 'kafka_dlt-original-partition',
  ORIGINAL_OFFSET: 'kafka_dlt-original-offset',
  ORIGINAL_TIMESTAMP: 'kafka_dlt-original-timestamp',
  EXCEPTION_FQCN: 'kafka_dlt-exception-fqcn',
  EXCEPTION_MESSAGE: 'kafka_dlt-exception-message',
  /** How many times the handler ran for the record (rxkafka's; Spring has no such header). */
  ATTEMPTS: 'rxkafka_dlt-attempts',
  /** `Controller.method` that failed (rxkafka's). */
  HANDLER: 'rxkafka_dlt-handler',
  /** Who skipped the record while its handler was still running (an operator's skip; Spring has none). */
  SKIPPED_BY: 'rxkafka_dlt-skipped-by',
  /** When it was skipped, epoch milliseconds as text. */
  SKIPPED_AT: 'rxkafka_dlt-skipped-at',
} as const;

/** The exception name a skipped record's dead letter carries in `kafka_dlt-exception-fqcn`. */
export const RECORD_SKIPPED = 'RecordSkipped';

/** The default dead-letter topic of `topic`. */
export function toDeadLetterTopic(topic: string): string {
  return `${topic}.dlt`;
}

/**
 * The dead letter of a record whose handler failed for good: the original key, value and headers byte
 * for byte, plus headers saying where it came from, why it failed and after how many attempts.
 */
export function createDeadLetter(
  record: RawKafkaRecord,
  failure: { error: unknown; attempts: number; handler: string },
): OutgoingRecord {
  const error = failure.error;
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : describeThrown(error);
  const headers: RecordHeaders = {
    ...record.headers,
    [DeadLetterHeaders.ORIGINAL_TOPIC]: record.topic,
    [DeadLetterHeaders.ORIGINAL_PARTITION]: String(record.partition),
    [DeadLetterHeaders.ORIGINAL_OFFSET]: record.offset,
    [DeadLetterHeaders.ORIGINAL_TIMESTAMP]: record.timestamp,
    [DeadLetterHeaders.EXCEPTION_FQCN]: name,
    [DeadLetterHeaders.EXCEPTION_MESSAGE]: message,
    [DeadLetterHeaders.ATTEMPTS]: String(failure.attempts),
    [DeadLetterHeaders.HANDLER]: failure.handler,
  };
  return { key: record.key, value: record.value, headers };
}

// Anything can be thrown; a value String() refuses (an object without prototype, one whose toString throws)
// must still give a dead letter, or its record would come back forever.
function describeThrown(error: unknown): string {
  try {
    return String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}

/**
 * The dead letter of a record an operator skipped while `handler` still ran on it: a dead letter as a
 * failure makes one (attempts 1, exception `RecordSkipped`), plus who skipped it and when.
 */
export function createSkippedLetter(
  record: RawKafkaRecord,
  skip: { handler: string; by: string; at: number },
): OutgoingRecord {
  const error = Object.assign(
    new Error(`skipped by ${skip.by} while ${skip.handler} was still running on it`),
    { name: RECORD_SKIPPED },
  );
  const letter = createDeadLetter(record, { error, attempts: 1, handler: skip.handler });
  return {
    ...letter,
    headers: {
      ...letter.headers,
      [DeadLetterHeaders.SKIPPED_BY]: skip.by,
      [DeadLetterHeaders.SKIPPED_AT]: String(skip.at),
    },
  };
}
