/**
 * The RXK_SEND_FAILED error a failed produce request becomes. What the failure means (brokers unreachable,
 * a topic or record refused) is the driver's verdict (KafkaDriver.classifySendError), given here as its kind.
 */
import { RxKafkaError } from '../errors';
import type { SendErrorKind } from '../kafka/kafka-driver';

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

/**
 * The RXK_SEND_FAILED error a failed send becomes; `topics` has each entry's topic (ours are kept as they
 * are). Not retriable when Kafka refused for good (`kind` refused-topic or refused-record).
 */
export function toSendFailure(topics: readonly string[], error: unknown, kind: SendErrorKind): RxKafkaError {
  // Our own verdict (a partition left unwritten) already says what happened.
  return RxKafkaError.isRxKafkaError(error)
    ? error
    : new RxKafkaError(
        'RXK_SEND_FAILED',
        `producing ${topics.length} message group(s) to ${[...new Set(topics)].join(', ')} failed: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error, retriable: kind !== 'refused-topic' && kind !== 'refused-record' },
      );
}
