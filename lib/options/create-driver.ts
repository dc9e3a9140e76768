/**
 * Which Kafka client library a front end runs on: the `driver` option of every front end (server, client,
 * consume(), produceTo()'s producer, replay(), projection(), processExactlyOnce(), and NestJS's strategy and
 * client proxy through the server's and client's options).
 */
import type { KafkaDriver } from '../kafka/kafka-driver';
import type { KafkaConfig } from '../kafka/kafkajs/kafkajs-types';
import { createKafkajsDriver } from '../kafka/kafkajs/kafkajs-driver';
import { createPlatformaticDriver } from '../kafka/platformatic/platformatic-driver';
import { loadPlatformatic } from '../kafka/platformatic/platformatic-library';
import type { Logger } from '../logger';
import { describeReceived, throwInvalidOption } from './option-checks';

/**
 * `'kafkajs'` (the default), `'platformatic'` (its package 1.35, an optional peer dependency), or a
 * KafkaDriver of your own (a fake one in unit tests).
 */
export type DriverOption = 'kafkajs' | 'platformatic' | KafkaDriver;

const DRIVER_METHODS = ['createProducer', 'createConsumer', 'fetchEndOffsets'] as const;

/**
 * Throws RXK_INVALID_OPTIONS unless `value` is absent, a driver name, or an object with a driver's methods;
 * for 'platformatic', also when its package is not installed (at the door, not at the first connect).
 */
export function checkDriver(path: string, value: unknown): void {
  if (value === 'platformatic') {
    loadPlatformatic();
    return;
  }
  if (value === undefined || value === 'kafkajs') return;
  const holder = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  const missing = DRIVER_METHODS.filter((method) => typeof holder?.[method] !== 'function');
  if (missing.length === 0) return;
  throwInvalidOption(
    path,
    `option ${path} must be 'kafkajs', 'platformatic' or a KafkaDriver object, got ${describeReceived(value)}` +
      (holder ? ` without ${missing.map((method) => `${method}()`).join(', ')}` : '') +
      ": e.g. driver: 'platformatic', or leave it out for kafkajs",
  );
}

/**
 * The driver `option` names, bound to the cluster and client of `kafkaConfig`.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` for 'platformatic' when its package is not installed or
 * a client option has no equivalent there.
 */
export function createDriver(
  option: DriverOption | undefined,
  kafkaConfig: KafkaConfig,
  logger: Logger,
): KafkaDriver {
  if (option === undefined || option === 'kafkajs') return createKafkajsDriver(kafkaConfig, logger);
  if (option === 'platformatic') return createPlatformaticDriver(kafkaConfig, logger);
  return option;
}
