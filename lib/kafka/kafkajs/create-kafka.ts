import type { KafkaConfig } from 'kafkajs';
import { Kafka } from './kafkajs-library';
import type { Logger } from '../../logger';
import { createKafkaLogCreator } from './kafka-log-creator';

/**
 * The kafkajs client of a server or client: its config as resolved, and kafkajs's own logs routed through
 * rxkafka's logger (a `logCreator` in the config wins, as in kafkajs).
 */
export function createKafka(config: KafkaConfig, logger: Logger): Kafka {
  return new Kafka({ logCreator: createKafkaLogCreator(logger), ...config });
}
