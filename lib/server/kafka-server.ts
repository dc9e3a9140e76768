import type { RetryCount } from '../pipeline/retry-forwarding';
import type { RetryWaiting } from '../pipeline/retry-waiting';
import type { Container } from 'inversify';
import type { Observable } from 'rxjs';
import type { DrainMode } from '../connection/connection-events';
import type { ConnectionStatus } from '../connection/connection-status';
import type { ConnectionTransition } from '../connection/inspection';
import { createKafkaConnection } from '../connection/create-kafka-connection';
import { KafkaConnection, type Assignment, type ConsumedRecord } from '../connection/kafka-connection';
import { RxKafkaError } from '../errors';
import type { ControllerClass } from '../handlers/controller';
import { HandlerRegistry } from '../handlers/handler-registry';
import { listDeadLetterTopics } from './dead-letter-topics';
import type { HandlerSource } from '../handlers/handler-source';
import { resolveServerOptions, type KafkaServerOptions, type ResolvedServerOptions } from '../options';
import { KafkaRequestDeserializer, type Deserializer, type RequestPacket } from '../wire/deserializer';
import { KafkaParser } from '../wire/parser';
import { KafkaRequestSerializer } from '../wire/serializer';
import { RecordPipeline } from '../pipeline/record-pipeline';
import type { SkipCommand } from '../pipeline/skip-record';
import type { CommandOutcome } from '../connection/partition-command';
import { createKafkaTracing } from '../tracing/kafka-tracing';
import type { KafkaDriver } from '../kafka/kafka-driver';
import { createDriver } from '../options/create-driver';
import type { Consumer, Kafka, Producer } from '../kafka/kafkajs/kafkajs-types';
import { FailurePolicy } from '../pipeline/failure-policy';
import { RetryTopicRoutes } from '../pipeline/retry-topic-routes';
import { ensureRetryTopics } from '../pipeline/ensure-retry-topics';
import type { ExactlyOnceHandlers } from '../exactly-once/exactly-once-handlers';
import { splitExactlyOnceRoutes } from '../exactly-once/exactly-once-routes';
import type { ExactlyOnceStats } from '../exactly-once/exactly-once-settings';
import type { ExactlyOnceConsumer } from '../exactly-once/exactly-once-consumer';
import { createExactlyOnceMember } from '../exactly-once/exactly-once-member';

/** What close() did: the answer to "what happened to in-flight work?". */
export interface DrainReport {
  readonly mode: DrainMode;
  /** True when the drain deadline passed and close() switched to abandoning. */
  readonly timedOut: boolean;
  readonly durationMs: number;
  /** Records fully handled over the server's life (their offsets resolved for commit). */
  readonly recordsFinished: number;
  /** Records whose handlers were still running when close() stopped waiting (they will be redelivered). */
  readonly recordsAbandoned: number;
  /** Reply records produced over the server's life. */
  readonly repliesSent: number;
  /** The last offset this member committed for each partition ("next offset to read", as Kafka stores it). */
  readonly committed: ReadonlyArray<{ topic: string; partition: number; offset: string }>;
  /**
   * The exactly-once handlers' member (present when there are such handlers): what it committed over the
   * server's life, and whether its drain timed out. Its offsets commit in its transactions, in the group
   * `exactlyOnce.groupId`; `committed` above lists the at-least-once group's only.
   */
  readonly exactlyOnce?: ExactlyOnceStats & { readonly timedOut: boolean };
}

/** A server's figures so far. */
export interface ServerStats {
  /** Records fully handled (their offsets resolved for commit). */
  readonly recordsFinished: number;
  /** Records whose handlers an abandoning close cut off. */
  readonly recordsAbandoned: number;
  readonly repliesSent: number;
  /** Handlers that failed for good: requests answered with an error reply, events skipped. */
  readonly handlerFailures: number;
  /** Records written to a dead-letter topic (and by the exactly-once handlers, in committed transactions). */
  readonly deadLetters: number;
  /** Records written to retry topics (`retryTopics`), each hop counted. */
  readonly retriesForwarded: number;
  /** The same, by source topic and the attempt that failed. */
  readonly retries: readonly RetryCount[];
  /**
   * Each retry topic's records waiting for their due time now, and when the oldest is due: counted in the
   * retry partitions paused at a record not due yet, from that record to the partition's end offset at the
   * fetch that found it. Empty without `retryTopics`.
   */
  readonly retryWaiting: readonly RetryWaiting[];
  /** The exactly-once handlers' transactions, when there are such handlers. */
  readonly exactlyOnce?: ExactlyOnceStats;
}

export interface CloseOptions {
  /** 'drain' finishes in-flight handlers and their replies; 'abandon' stops at once. @defaultValue 'drain' */
  readonly mode?: DrainMode;
  /** Deadline for 'drain'; past it close() abandons what is left. @defaultValue options.drainTimeoutMs */
  readonly timeoutMs?: number;
}

/**
 * The rxkafka server (NestJS's `ServerKafka`): consumes every topic its controllers' handlers name, routes
 * records to handlers, and produces replies with NestJS's wire format. One Kafka connection actor carries
 * its consumer and producer.
 *
 * Delivery: an offset is committed only after its record's handlers finished and their replies were
 * acknowledged by Kafka; records of a partition are handled in offset order (or per key with
 * `ordering: 'key'`); partitions run concurrently (`partitionConcurrency`).
 */
export class KafkaServer {
  readonly #options: ResolvedServerOptions;
  readonly #handlers: Container | HandlerSource;
  readonly #controllers: readonly ControllerClass[] | undefined;
  readonly #driver: KafkaDriver;
  #connection: KafkaConnection | undefined;
  #pipeline: RecordPipeline | undefined;
  #exactlyOnce: { consumer: ExactlyOnceConsumer; handlers: ExactlyOnceHandlers } | undefined;
  #deadLetterTopics: readonly string[] = [];

  /**
   * `handlers` is the inversify container the `@Controller()` classes resolve from, or any other
   * `HandlerSource` (rxkafka/nestjs passes a NestJS application's handlers); a source is read at listen().
   */
  constructor(
    handlers: Container | HandlerSource,
    options: KafkaServerOptions & { controllers?: readonly ControllerClass[] } = {},
  ) {
    const { controllers, ...transportOptions } = options;
    this.#options = resolveServerOptions(transportOptions);
    this.#handlers = handlers;
    this.#controllers = controllers;
    this.#driver = createDriver(this.#options.driver, this.#options.kafkaConfig, this.#options.logger);
  }

  /** The connection actor (throws before listen()). */
  get connection(): KafkaConnection {
    if (!this.#connection)
      throw new RxKafkaError('RXK_NOT_CONNECTED', 'the server has no connection yet: call listen() first');
    return this.#connection;
  }

  /**
   * An operator's skip: writes the record at `offset` of `topic`/`partition`, which an event handler is
   * still running on, to that handler's dead-letter topic (with `rxkafka_dlt-skipped-by` and
   * `rxkafka_dlt-skipped-at`), and once Kafka acknowledged it, finishes the record so the partition's
   * committed offset moves past it; the handler's later outcome is ignored. Resolves with the reason
   * instead when it cannot: no dead-letter topic, a record not in flight (stale), a request, a partition
   * not held. `@EventPattern(topic, { exactlyOnce: true })` handlers cannot be skipped.
   */
  async skipRecord(command: SkipCommand): Promise<CommandOutcome> {
    if (!this.#pipeline)
      return { accepted: false, reason: 'the server is not listening: skip once listen() resolved' };
    return this.#pipeline.skip(command);
  }

  /**
   * Every connection actor of the server, for the inspector: the at-least-once one (`connection`), then,
   * when there are `@EventPattern(topic, { exactlyOnce: true })` handlers, their transactional member's.
   * Empty before listen().
   */
  get connections(): readonly KafkaConnection[] {
    const connections = this.#connection ? [this.#connection] : [];
    return this.#exactlyOnce ? [...connections, this.#exactlyOnce.consumer.connection] : connections;
  }

  /**
   * The dead-letter topics its event handlers write to (`deadLetter`, and `retryTopics`' dead-letter
   * topics), sorted; empty before listen(). The inspector re-drives only these.
   */
  get deadLetterTopics(): readonly string[] {
    return this.#deadLetterTopics;
  }

  /** The Kafka client library the server runs on (the inspector re-drives dead letters through it). */
  get driver(): KafkaDriver {
    return this.#driver;
  }

  /** What the server did over its life, so far (the drain report's figures, and failures). */
  get stats(): ServerStats {
    const exactlyOnce = this.#exactlyOnce;
    const pipeline = this.#pipeline?.stats;
    return {
      recordsFinished: pipeline?.recordsFinished ?? 0,
      recordsAbandoned: pipeline?.recordsAbandoned ?? 0,
      repliesSent: pipeline?.repliesSent ?? 0,
      handlerFailures: (pipeline?.handlerFailures ?? 0) + (exactlyOnce?.handlers.failed ?? 0),
      deadLetters: (pipeline?.deadLetters ?? 0) + (exactlyOnce?.consumer.stats.deadLetters ?? 0),
      retriesForwarded: pipeline?.retriesForwarded ?? 0,
      retries: pipeline?.retries ?? [],
      retryWaiting: pipeline?.retryWaiting ?? [],
      ...(exactlyOnce ? { exactlyOnce: exactlyOnce.consumer.stats } : {}),
    };
  }

  /** Status values (NestJS's plus rxkafka's); replays the current one. */
  get status$(): Observable<ConnectionStatus> {
    return this.connection.status$;
  }

  /** This member's partitions; replays the current assignment. */
  get assignment$(): Observable<Assignment> {
    return this.connection.assignment$;
  }

  /** Every transition of the connection actor. */
  get transitions$(): Observable<ConnectionTransition> {
    return this.connection.transitions$;
  }

  /** Every record consumed, before handling. */
  get messages$(): Observable<ConsumedRecord> {
    return this.connection.messages$;
  }

  /**
   * Discovers the handlers, connects, subscribes and starts consuming. Resolves once the consumer has its
   * first assignment. Throws RXK_INVALID_OPTIONS when no controller declares a handler. Called again, it
   * waits for the same connections, which their machines connect again after close() or a failure.
   */
  listen(): Promise<void> {
    return this.#listen();
  }

  /** Drains (or abandons), commits, leaves the group and disconnects; returns what happened. */
  async close(options: CloseOptions = {}): Promise<DrainReport> {
    const started = Date.now();
    const mode = options.mode ?? 'drain';
    const deadlineMs = options.timeoutMs ?? this.#options.drainTimeoutMs;
    const exactlyOnce = this.#exactlyOnce?.consumer;
    // The deadline is the machine's: a delayed transition from draining.finishing to draining.abandoning.
    // Both members drain at once, each under the same deadline.
    const [drained, drainedExactlyOnce] = await Promise.all([
      this.#connection?.close(mode, deadlineMs),
      exactlyOnce?.close(mode, deadlineMs),
    ]);
    const timedOut = (drained?.timedOut ?? false) || (drainedExactlyOnce?.timedOut ?? false);
    const exactlyOnceTimedOut = drainedExactlyOnce?.timedOut ?? false;
    return {
      mode,
      timedOut,
      durationMs: Date.now() - started,
      recordsFinished: this.#pipeline?.stats.recordsFinished ?? 0,
      recordsAbandoned: this.#pipeline?.stats.recordsAbandoned ?? 0,
      repliesSent: this.#pipeline?.stats.repliesSent ?? 0,
      committed: this.#connection?.offsets.committed ?? [],
      ...(exactlyOnce ? { exactlyOnce: { ...exactlyOnce.stats, timedOut: exactlyOnceTimedOut } } : {}),
    };
  }

  /**
   * Opt-in: on one of `signals`, close() (drain, bounded by drainTimeoutMs), log the drain report, then let
   * the signal take its default course. For Kubernetes, keep drainTimeoutMs below
   * terminationGracePeriodSeconds. Returns a function that removes the hooks.
   */
  enableShutdownHooks(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): () => void {
    const onSignal = (signal: NodeJS.Signals): void => {
      removeHooks();
      this.#options.logger.info(`${signal}: draining before exit`);
      void this.close()
        .then((report) => this.#options.logger.info('drained', { ...report }))
        .catch((error: unknown) => this.#options.logger.error('drain on shutdown failed', { error }))
        .finally(() => process.kill(process.pid, signal));
    };
    const removeHooks = () => signals.forEach((signal) => process.removeListener(signal, onSignal));
    signals.forEach((signal) => process.once(signal, onSignal));
    return removeHooks;
  }

  /** The kafkajs objects, as NestJS's `ServerKafka.unwrap()`: `[kafka, consumer, producer]`. */
  unwrap(): [Kafka, Consumer, Producer] {
    const connection = this.connection;
    return [this.#driver.native as Kafka, connection.consumer as Consumer, connection.producer];
  }

  async #listen(): Promise<void> {
    if (this.#connection) {
      await Promise.all([this.#connection.connect(), this.#exactlyOnce?.consumer.connect()]);
      return;
    }
    const options = this.#options;
    const registry = isHandlerSource(this.#handlers)
      ? this.#handlers
      : HandlerRegistry.fromContainer(this.#handlers, this.#controllers);
    const routes = splitExactlyOnceRoutes(registry);
    const topics = routes.atLeastOnceTopics;
    if (topics.strings.length + topics.patterns.length + routes.exactlyOnce.size === 0) {
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        'the server has no handlers: bind @Controller() classes with @MessagePattern/@EventPattern methods in the container, or pass them as `controllers`',
        { path: 'controllers' },
      );
    }
    const retryTopics = RetryTopicRoutes.fromHandlers(registry);
    if (retryTopics.plans.length > 0) {
      if (this.#driver.capabilities?.pausesPartitions !== true) {
        throw new RxKafkaError(
          'RXK_INVALID_OPTIONS',
          `${retryTopics.plans[0].name}: option retryTopics needs a driver that can pause partitions (a retry waits for its due time that way), which this one cannot: use driver 'kafkajs', or retry in place (option retry)`,
          { path: 'driver' },
        );
      }
      await ensureRetryTopics(this.#driver, retryTopics.plans, options.logger);
    }
    const deserializer =
      (options.deserializer as Deserializer<RequestPacket> | undefined) ?? new KafkaRequestDeserializer();
    const pipeline = new RecordPipeline({
      registry,
      parser: new KafkaParser({ keepBinary: options.keepBinary }),
      deserializer,
      serializer: options.serializer ?? new KafkaRequestSerializer(),
      retry: options.retry,
      handlerTimeoutMs: options.handlerTimeoutMs,
      replyTimeoutMs: options.replyTimeoutMs,
      deadLetter: options.deadLetter,
      ordering: options.ordering,
      maxInFlightPerPartition: options.maxInFlightPerPartition,
      logger: options.logger,
      tracing: createKafkaTracing({ clientId: options.clientId, groupId: options.groupId }, options.logger),
      ...(retryTopics.plans.length > 0 ? { retryTopics } : {}),
    });
    // Without at-least-once handlers (only exactly-once ones) the connection only produces.
    const connection = createKafkaConnection(
      { ...options, driver: this.#driver },
      topics.strings.length + topics.patterns.length === 0
        ? { kind: 'producer' }
        : {
            kind: 'consumer',
            topics: [...topics.strings, ...retryTopics.topics, ...topics.patterns],
            eachBatch: pipeline.eachBatch,
            inFlight: pipeline,
          },
    );
    pipeline.start(connection);
    this.#exactlyOnce =
      routes.exactlyOnce.size === 0
        ? undefined
        : createExactlyOnceMember({
            options,
            driver: this.#driver,
            handlers: routes.exactlyOnce,
            deserializer,
            // Only its retry policies, timeouts and dead-letter topics: these dead letters go into transactions.
            failures: new FailurePolicy({ ...options, produceQueue: connection.produceQueue }),
            producer: () => connection.producer,
          });
    this.#connection = connection;
    this.#pipeline = pipeline;
    this.#deadLetterTopics = Object.freeze(
      listDeadLetterTopics(registry, options.deadLetter, retryTopics.plans),
    );
    await Promise.all([connection.connect(), this.#exactlyOnce?.consumer.connect()]);
  }
}

function isHandlerSource(handlers: Container | HandlerSource): handlers is HandlerSource {
  return typeof (handlers as Partial<HandlerSource>).findMessageHandler === 'function';
}

/** NestJS-style factory: `createMicroservice(container, options).listen()`. */
export function createMicroservice(
  container: Container,
  options: KafkaServerOptions & { controllers?: readonly ControllerClass[] } = {},
): KafkaServer {
  return new KafkaServer(container, options);
}
