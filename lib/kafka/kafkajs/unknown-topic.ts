/**
 * Recognises a subscription to a topic the cluster does not have: kafkajs 2.2.4's subscribe() fails at once
 * with Kafka's UNKNOWN_TOPIC_OR_PARTITION, which names no topic (lib/kafka/topic-not-found.ts names them).
 */
import { walkCauses } from '../error-chain';

/** True when `error` (or an error it wraps) is Kafka's UNKNOWN_TOPIC_OR_PARTITION. */
export function isUnknownTopic(error: unknown): boolean {
  for (const link of walkCauses(error)) {
    if (link.type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
  }
  return false;
}
