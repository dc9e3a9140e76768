import { Container } from 'inversify';
import { firstValueFrom } from 'rxjs';
import {
  Controller,
  createStreamLogger,
  EventPattern,
  KafkaClient,
  KafkaServer,
  MessagePattern,
  Payload,
} from '../../lib';
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

/** rxkafka as a user would run it: a KafkaServer with a controller, and a KafkaClient. */
export const rxkafkaImplementation: Implementation = {
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
  const server = new KafkaServer(createContainer(BenchEventController), {
    ...toTransportOptions(config),
    subscribe: { fromBeginning: true },
    // Scenario (b): the feature under test. Scenario (a) runs with the defaults.
    ...(config.keyConcurrency ? { ordering: 'key' as const, partitionConcurrency: 8 } : {}),
  });
  await server.listen();
  return { close: async () => void (await server.close()) };
}

async function startSumServer(config: ConnectionConfig): Promise<Closable> {
  @Controller()
  class BenchSumController {
    @MessagePattern(config.topic)
    sum(@Payload() numbers: number[]): number {
      return sumOf(numbers);
    }
  }
  const server = new KafkaServer(createContainer(BenchSumController), toTransportOptions(config));
  await server.listen();
  return { close: async () => void (await server.close()) };
}

async function connectSumRequester(config: ConnectionConfig): Promise<SumRequester> {
  const client = new KafkaClient(toTransportOptions(config));
  client.subscribeToResponseOf(config.topic);
  await client.connect();
  return {
    request: (numbers) => firstValueFrom(client.send(config.topic, numbers)),
    close: async () => void (await client.close()),
  };
}

function createContainer(controller: new () => object): Container {
  const container = new Container();
  container.bind(controller).toSelf().inSingletonScope();
  return container;
}

function toTransportOptions(config: ConnectionConfig) {
  return {
    client: { brokers: [...config.brokers], clientId: config.groupId },
    consumer: { groupId: config.groupId },
    logger: createStreamLogger('error'),
  };
}
