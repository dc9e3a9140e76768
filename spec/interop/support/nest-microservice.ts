import { Logger, Module, type INestMicroservice, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type Deserializer, type KafkaOptions } from '@nestjs/microservices';

/** Where a NestJS application connects, and as whom. */
export interface NestKafkaOptions {
  readonly brokers: readonly string[];
  /** The consumer group, used as given (no `-server` / `-client` suffix). */
  readonly groupId: string;
  /** @defaultValue the group id */
  readonly clientId?: string;
  readonly deserializer?: Deserializer;
  readonly consumer?: Omit<NonNullable<NonNullable<KafkaOptions['options']>['consumer']>, 'groupId'>;
}

/** A kafkajs log creator that drops everything: Nest routes kafkajs logs to its own logger otherwise. */
const silentLogCreator = () => (): void => undefined;

/** The `options` of NestJS's Kafka transport for `options`, quiet, reading new topics from the beginning. */
export function toNestKafkaOptions(options: NestKafkaOptions): NonNullable<KafkaOptions['options']> {
  return {
    postfixId: '',
    client: {
      brokers: [...options.brokers],
      clientId: options.clientId ?? options.groupId,
      logCreator: silentLogCreator,
    },
    consumer: { ...options.consumer, groupId: options.groupId },
    subscribe: { fromBeginning: true },
    deserializer: options.deserializer,
  };
}

/**
 * Boots a real NestJS microservice (`NestFactory.createMicroservice`, `Transport.KAFKA`) serving
 * `controllers`, and resolves once its consumer joined its group. Close it with `app.close()`.
 */
export async function startNestMicroservice(
  controllers: Type[],
  options: NestKafkaOptions,
): Promise<INestMicroservice> {
  @Module({ controllers })
  class InteropModule {}

  // Nest's logger is process-wide; the specs assert behaviour, and its lines would only clutter the output.
  Logger.overrideLogger(false);
  const app = await NestFactory.createMicroservice<KafkaOptions>(InteropModule, {
    transport: Transport.KAFKA,
    options: toNestKafkaOptions(options),
    logger: false,
    abortOnError: false,
  });
  await app.listen();
  return app;
}
