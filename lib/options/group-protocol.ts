/**
 * The `groupProtocol` option: how a consumer joins its group. `'consumer'` is KIP-848's protocol (Kafka 4.x
 * brokers have it on by default): the broker assigns, and a member joining or leaving moves only the
 * partitions that change owner. Only the platformatic driver speaks it; kafkajs has only eager (classic) rebalances.
 */
import { describeReceived, throwInvalidOption } from './option-checks';

export type { GroupProtocol } from '../kafka/kafka-driver';

/**
 * Throws RXK_INVALID_OPTIONS unless `value` is absent, `'classic'`, or `'consumer'` with a driver other than
 * kafkajs (`'platformatic'`, or a KafkaDriver object of one's own).
 */
export function checkGroupProtocol(path: string, value: unknown, driver: unknown): void {
  if (value === undefined || value === 'classic') return;
  if (value !== 'consumer') {
    throwInvalidOption(
      path,
      `option ${path} must be 'classic' or 'consumer', got ${describeReceived(value)}: e.g. ` +
        `groupProtocol: 'consumer' with driver: 'platformatic', or leave it out for 'classic'`,
    );
  }
  if (driver === undefined || driver === 'kafkajs') {
    throwInvalidOption(
      path,
      `option ${path} 'consumer' (KIP-848, incremental rebalances) needs driver: 'platformatic': kafkajs has ` +
        "only eager (classic) rebalances. Add driver: 'platformatic', or leave groupProtocol out",
    );
  }
}
