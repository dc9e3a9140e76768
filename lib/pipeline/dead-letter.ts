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
} as const;

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
