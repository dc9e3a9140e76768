/**
 * The server's second group member, for `@EventPattern(topic, { exactlyOnce: true })` handlers: a
 * exactly-once consumer in the group `exactlyOnce.groupId`, reading with read_committed, whose batches
 * run the handlers and commit their records and the input offsets in one transaction per batch.
 */
import type { KafkaConnection } from '../connection/kafka-connection';
import type { HandlerDescriptor } from '../handlers/handler-registry';
import type { KafkaDriver } from '../kafka/kafka-driver';
import type { Consumer, Producer } from '../kafka/kafkajs/kafkajs-types';
import type { ResolvedServerOptions } from '../options';
import { ExactlyOnceHandlers } from './exactly-once-handlers';
import type { FailurePolicy } from '../pipeline/failure-policy';
import { ExactlyOnceConsumer } from './exactly-once-consumer';
import type { Deserializer, RequestPacket } from '../wire/deserializer';
import { KafkaParser } from '../wire/parser';

/** The transaction retry backoff of the server's exactly-once member (processExactlyOnce's defaults). */
const RETRY_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 5_000;

export interface ExactlyOnceMemberOptions {
  readonly options: ResolvedServerOptions;
  readonly driver: KafkaDriver;
  readonly handlers: ReadonlyMap<string, HandlerDescriptor>;
  readonly deserializer: Deserializer<RequestPacket>;
  /** The server's failure policy: each handler's retry policy, silence timeout and dead-letter topic. */
  readonly failures: FailurePolicy;
  /** The server's own producer, which a handler's KafkaContext shows (it is not transactional). */
  readonly producer: () => Producer;
}

/** The member and the handlers' path; `member.connection` is what the inspector shows. */
export function createExactlyOnceMember(member: ExactlyOnceMemberOptions): {
  consumer: ExactlyOnceConsumer;
  handlers: ExactlyOnceHandlers;
} {
  const { options, driver } = member;
  const logger = options.logger;
  const handlers = new ExactlyOnceHandlers({
    handlers: member.handlers,
    parser: new KafkaParser({ keepBinary: options.keepBinary }),
    deserializer: member.deserializer,
    failures: member.failures,
    tools: () => ({ consumer: connection.consumer as Consumer, producer: member.producer() }),
    logger,
  });
  // The user's consumer settings apply, but the input is read committed: aborted records are never handled.
  const { groupId: _groupId, ...consumerSettings } = options.consumerConfig;
  const consumer = new ExactlyOnceConsumer({
    driver,
    clientId: options.clientId,
    topics: [...member.handlers.keys()],
    fromBeginning: options.subscribeConfig.fromBeginning ?? false,
    consumerSettings: { ...consumerSettings, readUncommitted: false },
    partitionConcurrency: options.partitionConcurrency,
    transactionalIdPrefix: options.exactlyOnce.transactionalIdPrefix,
    producerSettings: options.producerConfig,
    settings: {
      groupId: options.exactlyOnce.groupId,
      transform: handlers.transform,
      onTransformFailure: handlers.onTransformFailure,
      maxBatchRecords: options.exactlyOnce.maxBatchRecords,
      retryDelayMs: RETRY_DELAY_MS,
      maxRetryDelayMs: MAX_RETRY_DELAY_MS,
      onTransactionCommitted: undefined,
      logger,
    },
    // The handlers' failure policy never stops (a failed record is dead-lettered or skipped).
    onPoisonRecord: (error) => logger.error(error.message, { code: error.code }),
  });
  const connection: KafkaConnection = consumer.connection;
  return { consumer, handlers };
}
