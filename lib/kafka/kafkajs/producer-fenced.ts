/**
 * Recognises the errors that say a transactional producer was fenced, and turns them into
 * `RXK_PRODUCER_FENCED`.
 */
import { RxKafkaError } from '../../errors';
import { walkCauses } from '../error-chain';
import { toProducerFencedError } from '../producer-fenced-error';

// INVALID_PRODUCER_EPOCH (47) is what Kafka 4.1.1 answers kafkajs's old request versions when a newer
// producer bumped the epoch (measured); PRODUCER_FENCED (90) is the newer name of the same fact.
const FENCED_CODES: ReadonlySet<unknown> = new Set([47, 90]);
const FENCED_TYPES: ReadonlySet<unknown> = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

/** True when `error` (or an error it wraps) says a newer producer with the same transactional id took over. */
export function isProducerFenced(error: unknown): boolean {
  if (RxKafkaError.isRxKafkaError(error)) return error.code === 'RXK_PRODUCER_FENCED';
  for (const link of walkCauses(error)) {
    if (FENCED_TYPES.has(link.type) || FENCED_CODES.has(link.code)) return true;
  }
  return false;
}

/** `error` as `RXK_PRODUCER_FENCED` when it is a fencing error; anything else as it is. */
export function toProducerFenced(error: unknown, transactionalId: string): unknown {
  if (!isProducerFenced(error) || RxKafkaError.isRxKafkaError(error)) return error;
  return toProducerFencedError(transactionalId, error);
}
