/**
 * @platformatic/kafka's errors, read through their public fields: `code` (PLT_KFK_*), a protocol error's
 * `apiId` (Kafka's error name), and the nested `errors` of an AggregateError (MultipleErrors, ResponseError)
 * or a `cause`.
 */
import type { SendErrorKind } from '../kafka-driver';

/** Kafka error names that refuse a whole topic: every record to it fails alike. */
const REFUSED_TOPIC = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'TOPIC_AUTHORIZATION_FAILED',
  'INVALID_TOPIC_EXCEPTION',
]);

/** Kafka error names that refuse one record for good. */
const REFUSED_RECORD = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
]);

interface ErrorFields {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly apiId?: unknown;
  readonly errors?: unknown;
  readonly cause?: unknown;
}

/** `error` and every error nested in it (aggregated errors, causes), depth first. */
export function* walkPlatformaticErrors(error: unknown, depth = 0): Generator<ErrorFields> {
  if (typeof error !== 'object' || error === null || depth > 8) return;
  const fields = error as ErrorFields;
  yield fields;
  if (Array.isArray(fields.errors)) {
    for (const nested of fields.errors) yield* walkPlatformaticErrors(nested, depth + 1);
  }
  if (fields.cause !== undefined) yield* walkPlatformaticErrors(fields.cause, depth + 1);
}

/** The first Kafka error name (`apiId`) in `error`, if any of its errors is a protocol error. */
export function findKafkaErrorName(error: unknown, names: ReadonlySet<string>): string | undefined {
  for (const link of walkPlatformaticErrors(error)) {
    if (typeof link.apiId === 'string' && names.has(link.apiId)) return link.apiId;
  }
  return undefined;
}

/** True when no broker could be reached (a socket error or a request that timed out). */
export function isLostConnection(error: unknown): boolean {
  for (const link of walkPlatformaticErrors(error)) {
    // TimeoutError carries PLT_KFK_NETWORK too.
    if (link.code === 'PLT_KFK_NETWORK' || link.code === 'PLT_KFK_TIMEOUT') return true;
  }
  return false;
}

/** True when `error` says a topic does not exist. */
export function isUnknownTopic(error: unknown): boolean {
  return findKafkaErrorName(error, new Set(['UNKNOWN_TOPIC_OR_PARTITION'])) !== undefined;
}

/**
 * @platformatic/kafka 1.x answers a metadata lookup of a missing topic (Kafka's UNKNOWN_TOPIC_OR_PARTITION)
 * with a `UserError` "Unknown topic <name>." that keeps neither the Kafka code nor a cause: its message is
 * the only sign. Without this a reply to a missing topic reads as a refused record, not a refused topic.
 */
export function isUnknownTopicInMetadata(error: unknown): boolean {
  for (const link of walkPlatformaticErrors(error)) {
    if (link.code === 'PLT_KFK_USER' && /^Unknown topic /.test(String(link.message))) return true;
  }
  return false;
}

/** What a failed send means for the runtime (see SendErrorKind). */
export function classifySendError(error: unknown): SendErrorKind {
  if (findKafkaErrorName(error, REFUSED_TOPIC) || isUnknownTopicInMetadata(error)) return 'refused-topic';
  if (findKafkaErrorName(error, REFUSED_RECORD)) return 'refused-record';
  for (const link of walkPlatformaticErrors(error)) {
    // A record the producer cannot serialize fails the same way every time.
    if (link.code === 'PLT_KFK_USER') return 'refused-record';
  }
  if (isLostConnection(error)) return 'lost-connection';
  return 'retriable';
}
