import { Container } from 'inversify';
import { filter, firstValueFrom, map } from 'rxjs';
import {
  commitAfter,
  consume,
  Controller,
  createStreamLogger,
  EventPattern,
  KafkaClient,
  KafkaRetriableException,
  KafkaServer,
  MessagePattern,
  Payload,
  type HandlerOptions,
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

/** How the event handler of `createRxkafkaImplementation()` retries a record its handler failed on. */
export interface EventRetrySettings {
  /** The second argument of the event handler's `@EventPattern`. */
  readonly handlerOptions: HandlerOptions;
  /**
   * Rethrow the handler's errors as `KafkaRetriableException`, the only error in-place `retry` runs again.
   * Retry topics retry every error but a plain `RpcException`, so they need no wrapping (and in (a), where
   * nothing fails, their handler is the plain `rxkafka` one).
   */
  readonly retriableErrors: boolean;
}

/**
 * Something that watches a server or client from before it connects until it is closed (the inspector,
 * in `rxkafka-inspector`); what it returns is closed after the server or client.
 */
export type WatchSource = (source: KafkaServer | KafkaClient) => Promise<Closable>;

/** rxkafka as a user would run it: a KafkaServer with a controller, and a KafkaClient. */
export const rxkafkaImplementation: Implementation = createRxkafkaImplementation();

/**
 * `rxkafkaImplementation`, its event handler with `retry` settings of its own (in (a) and (r)), and its
 * servers and clients watched by `watch` (the stream consumer of (f) is not).
 */
export function createRxkafkaImplementation(retry?: EventRetrySettings, watch?: WatchSource): Implementation {
  return {
    startEventConsumer: (config, handle) =>
      config.streams
        ? startStreamConsumer(config, handle)
        : startEventServer(config, retry?.retriableErrors ? toRetriableErrors(handle) : handle, retry, watch),
    startSumServer: (config) => startSumServer(config, watch),
    connectSumRequester: (config) => connectSumRequester(config, watch),
  };
}

async function startEventServer(
  config: EventConsumerConfig,
  handle: EventHandler,
  retry: EventRetrySettings | undefined,
  watch: WatchSource | undefined,
): Promise<Closable> {
  @Controller()
  class BenchEventController {
    @EventPattern(config.topic, retry?.handlerOptions)
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
  return listenWatched(server, watch);
}

/**
 * Scenario (f): `consume()` with its defaults, a trivial map that hands each decoded value to the handler,
 * and `commitAfter()`. The handler is synchronous there; a promise it returned would not be awaited.
 */
async function startStreamConsumer(config: EventConsumerConfig, handle: EventHandler): Promise<Closable> {
  const stream = consume<BenchEvent>({
    client: { brokers: [...config.brokers], clientId: config.groupId },
    logger: createStreamLogger('error'),
    groupId: config.groupId,
    topics: [config.topic],
    fromBeginning: true,
  });
  const subscription = stream
    .pipe(
      map((record) => {
        void handle(record.value);
        return record;
      }),
      commitAfter(),
    )
    .subscribe();
  // Resolves once the member has joined its group, as the other implementations' start does.
  await firstValueFrom(
    stream.connection.assignment$.pipe(filter((assignment) => Object.keys(assignment).length > 0)),
  );
  return {
    close: async () => {
      await stream.drain();
      subscription.unsubscribe();
    },
  };
}

async function startSumServer(config: ConnectionConfig, watch: WatchSource | undefined): Promise<Closable> {
  @Controller()
  class BenchSumController {
    @MessagePattern(config.topic)
    sum(@Payload() numbers: number[]): number {
      return sumOf(numbers);
    }
  }
  const server = new KafkaServer(createContainer(BenchSumController), toTransportOptions(config));
  return listenWatched(server, watch);
}

async function connectSumRequester(
  config: ConnectionConfig,
  watch: WatchSource | undefined,
): Promise<SumRequester> {
  const client = new KafkaClient(toTransportOptions(config));
  client.subscribeToResponseOf(config.topic);
  // Watched from before it connects, as the server is: the watcher's start-up stays outside the window.
  const watcher = await watch?.(client);
  await client.connect();
  return {
    request: (numbers) => firstValueFrom(client.send(config.topic, numbers)),
    close: async () => {
      await client.close();
      await watcher?.close();
    },
  };
}

/** Starts `watch` on `server` (before it consumes, so the watcher's start-up is outside the window), then listens. */
async function listenWatched(server: KafkaServer, watch: WatchSource | undefined): Promise<Closable> {
  const watcher = await watch?.(server);
  await server.listen();
  return {
    close: async () => {
      await server.close();
      await watcher?.close();
    },
  };
}

/** `handle`, its errors (thrown or rejected) rethrown as `KafkaRetriableException`. */
function toRetriableErrors(handle: EventHandler): EventHandler {
  const rethrow = (error: unknown): never => {
    throw new KafkaRetriableException(error instanceof Error ? error.message : String(error));
  };
  return (event) => {
    try {
      return handle(event)?.catch(rethrow);
    } catch (error) {
      return rethrow(error);
    }
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
