/**
 * What a failed kafkajs send means for the runtime (the port's SendErrorKind): kafkajs gives up with its
 * last attempt's error wrapped (KafkaJSNumberOfRetriesExceeded, or the adapter's RXK_NOT_AUTHORIZED), so the
 * whole chain is read.
 */
import type { SendErrorKind } from '../kafka-driver';
import { walkCauses } from '../error-chain';
import { isLostConnection } from './lost-connection';

// Kafka protocol errors refusing a whole topic (kafkajs gives up on them only after its retries).
const TOPIC_REFUSED_TYPES: ReadonlySet<unknown> = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'INVALID_TOPIC_EXCEPTION',
  'TOPIC_AUTHORIZATION_FAILED',
]);

// Kafka protocol errors that sending the same record again cannot cure.
const RECORD_REFUSED_TYPES: ReadonlySet<unknown> = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
]);

/** The kind of a failed `sendBatch`: Kafka's refusal first, then a lost connection, else retriable. */
export function classifySendError(error: unknown): SendErrorKind {
  let kind: SendErrorKind = 'retriable';
  for (const link of walkCauses(error)) {
    if (TOPIC_REFUSED_TYPES.has(link.type)) return 'refused-topic';
    if (RECORD_REFUSED_TYPES.has(link.type)) kind = 'refused-record';
  }
  if (kind !== 'retriable') return kind;
  // A request that timed out says as much as a lost socket: the next record to the same broker waits alike.
  if (isLostConnection(error) || isRequestTimeout(error)) return 'lost-connection';
  return 'retriable';
}

function isRequestTimeout(error: unknown): boolean {
  for (const link of walkCauses(error)) {
    if (link.name === 'KafkaJSRequestTimeoutError') return true;
  }
  return false;
}
