/**
 * The transactional id a member connects once at start to learn whether its prefix is authorized, before it
 * joins its group: `${prefix}-*access-check`. No partition's id can be it (`*` is not legal in a topic name),
 * so the check fences no member's producer (see
 * lib/exactly-once/per-partition-transactional-id.ts).
 */
import { RxKafkaError } from '../errors';
import type { KafkaDriver } from './kafka-driver';

export function toAccessCheckTransactionalId(prefix: string): string {
  return `${prefix}-*access-check`;
}

/**
 * Connects a transactional producer under the prefix's access-check id and disconnects it: a refusal of
 * the prefix surfaces here (as the driver maps it, RXK_NOT_AUTHORIZED), before the member joins its group.
 * The same for every driver; each gives its own producer.
 */
export async function checkTransactionalIdAccess(
  driver: Pick<KafkaDriver, 'createTransactionalProducer'>,
  transactionalIdPrefix: string,
  librarySettings?: unknown,
): Promise<void> {
  const producer = driver.createTransactionalProducer({
    transactionalId: toAccessCheckTransactionalId(transactionalIdPrefix),
    librarySettings,
  });
  try {
    await producer.connect();
  } catch (error) {
    // Fenced by another member's check that started at the same moment: that took an authorized id.
    if (!RxKafkaError.isRxKafkaError(error) || error.code !== 'RXK_PRODUCER_FENCED') throw error;
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
