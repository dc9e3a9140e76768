/**
 * Recognises @platformatic/kafka's errors that say a transactional producer was fenced, and turns them into
 * `RXK_PRODUCER_FENCED`, as kafkajs/producer-fenced.ts does for kafkajs.
 *
 * The broker's answer is a ProtocolError (`apiId`) inside the ResponseError of the request that met it, often
 * inside a MultipleErrors of the library's retries: INVALID_PRODUCER_EPOCH (47) from a produce request or an
 * older request version, PRODUCER_FENCED (90) from the newer versions of InitProducerId, AddPartitionsToTxn,
 * AddOffsetsToTxn, TxnOffsetCommit and EndTxn. Both are `canRetry: false`, so the library gives up at once.
 */
import { RxKafkaError } from '../../errors';
import { toProducerFencedError } from '../producer-fenced-error';
import { findKafkaErrorName } from './platformatic-errors';

const FENCED: ReadonlySet<string> = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

/** True when `error` (or an error nested in it) says a newer producer with the same transactional id took over. */
export function isPlatformaticProducerFenced(error: unknown): boolean {
  if (RxKafkaError.isRxKafkaError(error)) return error.code === 'RXK_PRODUCER_FENCED';
  return findKafkaErrorName(error, FENCED) !== undefined;
}

/** `error` as `RXK_PRODUCER_FENCED` when it is a fencing error; anything else as it is. */
export function toPlatformaticProducerFenced(error: unknown, transactionalId: string): unknown {
  if (!isPlatformaticProducerFenced(error) || RxKafkaError.isRxKafkaError(error)) return error;
  return toProducerFencedError(transactionalId, error);
}
