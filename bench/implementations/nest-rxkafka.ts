import {
  Controller,
  Injectable,
  Logger,
  Module,
  UseInterceptors,
  UsePipes,
  type CallHandler,
  type ExecutionContext,
  type LogLevel,
  type NestInterceptor,
  type PipeTransform,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { firstValueFrom, type Observable } from 'rxjs';
import { createStreamLogger } from '../../lib';
import { RxKafkaClientProxy, RxKafkaStrategy, type RxKafkaStrategyOptions } from '../../lib/nestjs';
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

/** Errors only, as the NestJS implementation. */
const LOG_LEVELS: LogLevel[] = ['error'];

/** A pass-through pipe: what an app's validation pipe costs at the least. */
class PassThroughPipe implements PipeTransform {
  transform(value: unknown): unknown {
    return value;
  }
}

/** A pass-through interceptor: what an app's logging or metrics interceptor costs at the least. */
@Injectable()
class PassThroughInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

/**
 * A NestJS application on rxkafka/nestjs: the NestJS implementation's controllers on `RxKafkaStrategy`
 * (its event handler with one pipe and one interceptor, as a typical app has), and `RxKafkaClientProxy`
 * through `ClientsModule`. `keyConcurrency` turns on `ordering: 'key'`, as for rxkafka.
 */
export const nestRxkafkaImplementation: Implementation = {
  startEventConsumer,
  startSumServer,
  connectSumRequester,
};

async function startEventConsumer(config: EventConsumerConfig, handle: EventHandler): Promise<Closable> {
  @Controller()
  class BenchEventController {
    @EventPattern(config.topic)
    @UsePipes(PassThroughPipe)
    @UseInterceptors(PassThroughInterceptor)
    onEvent(@Payload() event: BenchEvent): void | Promise<void> {
      return handle(event);
    }
  }
  return startMicroservice(BenchEventController, {
    ...toTransportOptions(config),
    subscribe: { fromBeginning: true },
    ...(config.keyConcurrency ? { ordering: 'key' as const, partitionConcurrency: 8 } : {}),
  });
}

async function startSumServer(config: ConnectionConfig): Promise<Closable> {
  @Controller()
  class BenchSumController {
    @MessagePattern(config.topic)
    sum(@Payload() numbers: number[]): number {
      return sumOf(numbers);
    }
  }
  return startMicroservice(BenchSumController, toTransportOptions(config));
}

async function connectSumRequester(config: ConnectionConfig): Promise<SumRequester> {
  Logger.overrideLogger(LOG_LEVELS);
  @Module({
    imports: [
      ClientsModule.register([
        { name: 'BENCH', customClass: RxKafkaClientProxy, options: toTransportOptions(config) },
      ]),
    ],
  })
  class BenchClientModule {}
  const context = await NestFactory.createApplicationContext(BenchClientModule, { logger: LOG_LEVELS });
  const client = context.get<RxKafkaClientProxy>('BENCH');
  client.subscribeToResponseOf(config.topic);
  await client.connect();
  return {
    request: (numbers) => firstValueFrom(client.send(config.topic, numbers)),
    close: () => context.close(),
  };
}

async function startMicroservice(
  controller: new () => object,
  options: RxKafkaStrategyOptions,
): Promise<Closable> {
  @Module({ controllers: [controller] })
  class BenchModule {}
  const app = await NestFactory.createMicroservice(BenchModule, {
    strategy: new RxKafkaStrategy(options),
    logger: LOG_LEVELS,
  });
  await app.listen();
  return { close: () => app.close() };
}

function toTransportOptions(config: ConnectionConfig) {
  return {
    client: { brokers: [...config.brokers], clientId: config.groupId },
    consumer: { groupId: config.groupId },
    logger: createStreamLogger('error'),
  };
}
