/**
 * The one RXK_PRODUCER_FENCED error every driver raises when Kafka says a newer producer with the same
 * transactional id took over; each adapter recognises its library's fencing errors (kafkajs/producer-fenced.ts,
 * platformatic/platformatic-producer-fenced.ts) and builds this.
 */
import { RxKafkaError } from '../errors';

/** RXK_PRODUCER_FENCED for the producer of `transactionalId`, with the library's error as its cause. */
export function toProducerFencedError(transactionalId: string, cause: unknown): RxKafkaError {
  return new RxKafkaError(
    'RXK_PRODUCER_FENCED',
    `the transactional producer ${transactionalId} was fenced: a newer producer with the same transactional ` +
      'id took over, so this one can no longer commit (its open transaction is aborted). Expected when its ' +
      'input partition moved to another member; otherwise two processes share a transactionalIdPrefix',
    { cause },
  );
}
