import { Controller, Logger, Module, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientKafka,
  EventPattern,
  MessagePattern,
  Payload,
  Transport,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import type { BenchEvent } from '../bench-event';
import {
  sumOf,
  type Closable,
  type ConnectionConfig,
  type EventConsumerConfig,
  type EventHandler,
  type Implementation,
  type SumRequester,
} from './implementation';

/** Errors only: a benchmark must not pay for log lines, but must not hide failures either. */
const LOG_LEVELS: LogLevel[] = ['error'];

/**
 * NestJS's own Kafka transport with its defaults: `ServerKafka` through `NestFactory.createMicroservice`,
 * and `ClientKafka`. `keyConcurrency` is ignored: NestJS handles one message at a time, which is the point.
 */
export const nestImplementation: Implementation = {
  startEventConsumer,
  startSumServer,
  connectSumRequester,
};

async function startEventConsumer(config: EventConsumerConfig, handle: EventHandler): Promise<Closable> {
  @Controller()
  class BenchEventController {
    @EventPattern(config.topic)
    onEvent(@Payload() event: BenchEvent): void | Promise<void> {
      return handle(event);
    }
  }
  return startMicroservice(BenchEventController, config, { fromBeginning: true });
}

async function startSumServer(config: ConnectionConfig): Promise<Closable> {
  @Controller()
  class BenchSumController {
    @MessagePattern(config.topic)
    sum(@Payload() numbers: number[]): number {
      return sumOf(numbers);
    }
  }
  return startMicroservice(BenchSumController, config, {});
}

async function connectSumRequester(config: ConnectionConfig): Promise<SumRequester> {
  Logger.overrideLogger(LOG_LEVELS);
  const client = new ClientKafka({
    client: { brokers: [...config.brokers], clientId: config.groupId },
    consumer: { groupId: config.groupId },
  });
  client.subscribeToResponseOf(config.topic);
  await client.connect();
  return {
    request: (numbers) => firstValueFrom(client.send(config.topic, numbers)),
    close: () => client.close(),
  };
}

async function startMicroservice(
  controller: new () => object,
  config: ConnectionConfig,
  subscribe: { fromBeginning?: boolean },
): Promise<Closable> {
  @Module({ controllers: [controller] })
  class BenchModule {}
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(BenchModule, {
    transport: Transport.KAFKA,
    options: {
      client: { brokers: [...config.brokers], clientId: config.groupId },
      consumer: { groupId: config.groupId },
      subscribe,
    },
    logger: LOG_LEVELS,
  });
  await app.listen();
  return { close: () => app.close() };
}
