import { Container } from 'inversify';
import { filter, firstValueFrom, map, merge } from 'rxjs';
import {
  commitAfter,
  consume,
  Controller,
  createStreamLogger,
  Ctx,
  EventPattern,
  KafkaClient,
  KafkaContext,
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
  type SumServerConfig,
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
export type WatchSource = (source: KafkaServer | KafkaClient) => Promise<Watcher>;

/** What a `WatchSource` started. */
export interface Watcher extends Closable {
  /**
   * Resolves once the watcher has taken in the connected source (for the inspector, the page's first draw
   * of it), so that one-off cost stays outside the measured window as the rest of the set-up does.
   */
  settled(): Promise<void>;
}

/** What sets an rxkafka implementation apart from `rxkafkaImplementation`; all optional. */
export interface RxkafkaVariant {
  /** The event handler's own `retry` settings (in (a) and (r)). */
  readonly retry?: EventRetrySettings;
  /** Watches its servers and clients (the stream consumer of (f) is not watched). */
  readonly watch?: WatchSource;
  /** The Kafka client underneath. @defaultValue 'kafkajs' */
  readonly driver?: 'kafkajs' | 'platformatic';
}

/** rxkafka as a user would run it: a KafkaServer with a controller, and a KafkaClient. */
export const rxkafkaImplementation: Implementation = createRxkafkaImplementation();

/** `rxkafkaImplementation` on @platformatic/kafka: `driver: 'platformatic'` on every front end. */
export const rxkafkaOnPlatformatic: Implementation = createRxkafkaImplementation({ driver: 'platformatic' });

/** `rxkafkaImplementation` with `variant`'s differences. */
export function createRxkafkaImplementation(variant: RxkafkaVariant = {}): Implementation {
  const { retry, watch } = variant;
  const driver = variant.driver === 'platformatic' ? { driver: 'platformatic' as const } : {};
  return {
    startEventConsumer: (config, handle) =>
      config.streams
        ? startStreamConsumer(config, handle, driver)
        : startEventServer(
            config,
            retry?.retriableErrors ? toRetriableErrors(handle) : handle,
            retry,
            watch,
            driver,
          ),
    startSumServer: (config) => startSumServer(config, watch, driver),
    connectSumRequester: (config) => connectSumRequester(config, watch, driver),
  };
}

/** The `driver` option of every front end: absent (kafkajs) or `'platformatic'`. */
type DriverSetting = { readonly driver?: 'platformatic' };

async function startEventServer(
  config: EventConsumerConfig,
  handle: EventHandler,
  retry: EventRetrySettings | undefined,
  watch: WatchSource | undefined,
  driver: DriverSetting,
): Promise<Closable> {
  @Controller()
  class BenchEventController {
    @EventPattern(config.topic, retry?.handlerOptions)
    onEvent(@Payload() event: BenchEvent): void | Promise<void> {
      return handle(event);
    }
  }
  const server = new KafkaServer(createContainer(BenchEventController), {
    ...toTransportOptions(config, driver),
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
async function startStreamConsumer(
  config: EventConsumerConfig,
  handle: EventHandler,
  driver: DriverSetting,
): Promise<Closable> {
  const stream = consume<BenchEvent>({
    ...driver,
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

async function startSumServer(
  config: SumServerConfig,
  watch: WatchSource | undefined,
  driver: DriverSetting,
): Promise<Closable> {
  @Controller()
  class BenchSumController {
    @MessagePattern(config.topic)
    sum(@Payload() numbers: number[]): number {
      return sumOf(numbers);
    }
  }
  const { onHandled, onOwnership } = config;
  // (q) only: the handler that reports its partition takes the context, which the others need not.
  @Controller()
  class ReportingSumController {
    @MessagePattern(config.topic)
    sum(@Payload() numbers: number[], @Ctx() context: KafkaContext): number {
      onHandled?.(context.getPartition());
      return sumOf(numbers);
    }
  }
  const controller = onHandled ? ReportingSumController : BenchSumController;
  const server = new KafkaServer(createContainer(controller), toTransportOptions(config, driver));
  const listening = await listenWatched(server, watch);
  if (!onOwnership) return listening;
  const ownership = reportOwnership(server, config.topic, onOwnership);
  return {
    close: async () => {
      await listening.close();
      ownership.unsubscribe();
      onOwnership([]);
    },
  };
}

/**
 * Calls `report` with the topic's partitions `server` holds, now and whenever they change: none while its
 * connection is not `assigned` (an eager rebalance, a restart), whatever its last assignment says.
 */
function reportOwnership(
  server: KafkaServer,
  topic: string,
  report: (partitions: readonly number[]) => void,
): { unsubscribe(): void } {
  const { connection } = server;
  let last = '';
  const check = (): void => {
    const partitions = connection.state === 'assigned' ? [...(connection.assignment[topic] ?? [])] : [];
    const text = partitions.join(',');
    if (text === last) return;
    last = text;
    report(partitions);
  };
  // Both replay their current value: the first report is what the server holds now.
  return merge(connection.status$, connection.assignment$).subscribe(check);
}

async function connectSumRequester(
  config: ConnectionConfig,
  watch: WatchSource | undefined,
  driver: DriverSetting,
): Promise<SumRequester> {
  const client = new KafkaClient(toTransportOptions(config, driver));
  client.subscribeToResponseOf(config.topic);
  // Watched from before it connects, as the server is: the watcher's start-up stays outside the window.
  const watcher = await watch?.(client);
  await client.connect();
  await watcher?.settled();
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
  await watcher?.settled();
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

function toTransportOptions(config: ConnectionConfig, driver: DriverSetting) {
  return {
    ...driver,
    ...(config.groupProtocol ? { groupProtocol: config.groupProtocol } : {}),
    client: { brokers: [...config.brokers], clientId: config.groupId },
    consumer: {
      groupId: config.groupId,
      ...(config.heartbeatIntervalMs ? { heartbeatInterval: config.heartbeatIntervalMs } : {}),
    },
    logger: createStreamLogger('error'),
  };
}
