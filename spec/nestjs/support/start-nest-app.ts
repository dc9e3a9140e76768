import { Logger, type INestMicroservice, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type KafkaOptions } from '@nestjs/microservices';
import { silentLogger } from '../../../lib';
import { RxKafkaStrategy, type RxKafkaStrategyOptions } from '../../../lib/nestjs';
import { toNestKafkaOptions, type NestKafkaOptions } from '../../interop/support/nest-microservice';
import { specDriver } from '../../support/spec-driver';

/** Which transport a NestJS app runs on: NestJS's own `Transport.KAFKA`, or rxkafka's strategy. */
export type NestTransport = 'Transport.KAFKA' | 'RxKafkaStrategy';

/** A started app, and its strategy when it runs on rxkafka. */
export interface StartedNestApp {
  readonly app: INestMicroservice;
  readonly strategy?: RxKafkaStrategy;
}

/**
 * Boots `module` as a real NestJS microservice on `transport` and resolves once it listens. The two
 * transports get the same NestJS options; rxkafka's extras (`extras`) apply to the strategy only, which runs
 * on the spec's driver (`specDriver()`) unless `extras` names one. `Transport.KAFKA` is the peer: kafkajs.
 */
export async function startNestApp(
  module: Type,
  transport: NestTransport,
  options: NestKafkaOptions,
  extras: Omit<RxKafkaStrategyOptions, keyof NonNullable<KafkaOptions['options']>> = {},
): Promise<StartedNestApp> {
  // Nest's logger is process-wide; the specs assert behaviour, and its lines would only clutter the output.
  Logger.overrideLogger(false);
  const nestOptions = toNestKafkaOptions(options);
  if (transport === 'Transport.KAFKA') {
    const app = await NestFactory.createMicroservice<KafkaOptions>(module, {
      transport: Transport.KAFKA,
      options: nestOptions,
      logger: false,
      abortOnError: false,
    });
    await app.listen();
    return { app };
  }
  const strategyExtras = { ...specDriver(), ...extras };
  // logCreator silences kafkajs; the platformatic driver has no equivalent and refuses it by name.
  const { logCreator: _kafkajsOnly, ...client } = nestOptions.client ?? {};
  const strategyOptions = strategyExtras.driver === 'platformatic' ? { ...nestOptions, client } : nestOptions;
  const strategy = new RxKafkaStrategy({ ...strategyOptions, logger: silentLogger, ...strategyExtras });
  const app = await NestFactory.createMicroservice(module, { strategy, logger: false, abortOnError: false });
  await app.listen();
  return { app, strategy };
}
