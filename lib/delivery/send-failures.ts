/**
 * What a failed produce request means: which kafkajs errors say the brokers are unreachable, which say
 * Kafka will never take the record as it is, and the RXK_SEND_FAILED error each failure becomes.
 */
import { RxKafkaError } from '../errors';

export function createUnwrittenError(topic: string, partition: number, isExplicit: boolean): RxKafkaError {
  return isExplicit
    ? new RxKafkaError(
        'RXK_SEND_FAILED',
        `producing to ${topic} failed: it has no partition ${partition}, so the record was not written ` +
          '(a kafka_replyPartition header beyond the reply topic’s partitions?)',
        { topic, partition, retriable: false },
      )
    : new RxKafkaError(
        'RXK_SEND_FAILED',
        `producing to ${topic} failed: kafkajs reported success but wrote nothing to partition ${partition} ` +
          '(its leader changed during the request)',
        { topic, partition, retriable: true },
      );
}

/** The RXK_SEND_FAILED error a failed send becomes; `topics` has each entry's topic (ours are kept as they are). */
export function toSendFailure(topics: readonly string[], error: unknown): RxKafkaError {
  // Our own verdict (a partition left unwritten) already says what happened.
  return RxKafkaError.isRxKafkaError(error)
    ? error
    : new RxKafkaError(
        'RXK_SEND_FAILED',
        `producing ${topics.length} message group(s) to ${[...new Set(topics)].join(', ')} failed: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error, retriable: !isRefusedForGood(error) },
      );
}

// kafkajs errors meaning the brokers cannot be reached; by name, as a second kafkajs copy breaks instanceof.
const CONNECTION_ERROR_NAMES: ReadonlySet<string> = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
]);

// Kafka protocol errors refusing a whole topic (kafkajs gives up on them only after its retries).
const TOPIC_REFUSED_TYPES: ReadonlySet<string> = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'INVALID_TOPIC_EXCEPTION',
  'TOPIC_AUTHORIZATION_FAILED',
]);

// Kafka protocol errors that sending the same record again cannot cure.
const REFUSED_FOR_GOOD_TYPES: ReadonlySet<string> = new Set([
  ...TOPIC_REFUSED_TYPES,
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
]);

/**
 * True when the error, or one it wraps (kafkajs's KafkaJSNumberOfRetriesExceeded keeps the last attempt's
 * error as `cause`), says the brokers are unreachable: sending entries one by one would then only repeat
 * kafkajs's whole retry schedule for each of them.
 */
export function isConnectionFailure(error: unknown): boolean {
  return someCause(error, (cause) => CONNECTION_ERROR_NAMES.has(cause.name));
}

/** True when Kafka answered that this record can never be written as it is (so redelivering it is futile). */
export function isRefusedForGood(error: unknown): boolean {
  return someCause(error, (cause) => REFUSED_FOR_GOOD_TYPES.has(protocolErrorType(cause)));
}

/** True when Kafka refused the topic itself: every record to it fails alike. */
export function isTopicRefused(error: unknown): boolean {
  return someCause(error, (cause) => TOPIC_REFUSED_TYPES.has(protocolErrorType(cause)));
}

// KafkaJSProtocolError's `type`: the Kafka error code's name.
function protocolErrorType(error: Error): string {
  const type: unknown = (error as { type?: unknown }).type;
  return typeof type === 'string' ? type : '';
}

function someCause(error: unknown, test: (cause: Error) => boolean): boolean {
  for (
    let current = error, depth = 0;
    current instanceof Error && depth < 5;
    current = current.cause, depth += 1
  ) {
    if (test(current)) return true;
  }
  return false;
}
