/**
 * The kafkajs workaround for late fencing.
 *
 * Why: a kafkajs 2.2.4 transactional producer's `connect()` only gets an idempotent producer id; the
 * transactional InitProducerId, which bumps the epoch and so fences every older producer of the same
 * transactional id (and aborts the transaction it left open), runs at the first `producer.transaction()`
 * (measured against Kafka 4.1.1). A processor that reads its starting offset after connect() would read
 * it while a zombie could still commit. Beginning and aborting one empty transaction fences at once: the
 * abort sends nothing, since the transaction holds no partitions or offsets.
 */
import type { Producer } from 'kafkajs';

/** Fences every older producer of `producer`'s transactional id: begins and aborts one transaction. */
export async function fenceOlderProducers(producer: Producer): Promise<void> {
  const transaction = await producer.transaction();
  await transaction.abort();
}
