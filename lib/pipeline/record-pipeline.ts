import type { RetryCount } from './retry-forwarding';
import type { KafkaConnection } from '../connection/kafka-connection';
import { RxKafkaError } from '../errors';
import type { HandlerSource } from '../handlers/handler-source';
import type { RetryPolicy } from '../handlers/retry-policy';
import type { FetchedBatch } from '../kafka/fetched-batch';
import type { Consumer } from '../kafka/kafkajs/kafkajs-types';
import type { Logger } from '../logger';
import type { Deserializer, RequestPacket } from '../wire/deserializer';
import type { KafkaParser, RawKafkaRecord } from '../wire/parser';
import type { Serializer } from '../wire/serializer';
import { BatchRunner } from './batch-runner';
import type { Ordering } from './batch-runner-options';
import type { KafkaTracing } from '../tracing/kafka-tracing';
import { MessageRouter } from './message-router';
import type { SkipCommand } from './skip-record';
import type { CommandOutcome } from '../connection/partition-command';
import { PartitionPauses, type PausedPartition } from './partition-pauses';
import type { RetryTopicRoutes } from './retry-topic-routes';
import { countHeld, toRetryWaiting, type RetryWaiting } from './retry-waiting';
import { publishRetryWaiting } from '../diagnostics/publish-diagnostics';

/** What a pipeline is configured with: its handlers, its codecs, its failure policy and its concurrency. */
export interface RecordPipelineOptions {
  readonly registry: HandlerSource;
  readonly parser: KafkaParser;
  readonly deserializer: Deserializer<RequestPacket>;
  readonly serializer: Serializer;
  readonly retry: RetryPolicy;
  /** The dead-letter topic of a source topic, or false to only log failed events. */
  readonly deadLetter: false | ((topic: string) => string);
  readonly handlerTimeoutMs: number;
  readonly replyTimeoutMs?: number;
  readonly ordering: Ordering;
  readonly maxInFlightPerPartition: number;
  readonly logger: Logger;
  /** Present when an OpenTelemetry SDK is registered (see MessageRouterOptions). */
  readonly tracing?: KafkaTracing;
  /** Handlers with `retryTopics` (the consumer also reads their retry topics). */
  readonly retryTopics?: RetryTopicRoutes;
}

/** What a pipeline did over its life (the server's stats and drain report). */
export interface RecordPipelineStats {
  readonly recordsFinished: number;
  readonly recordsAbandoned: number;
  readonly repliesSent: number;
  readonly handlerFailures: number;
  readonly deadLetters: number;
  /** Records written to retry topics. */
  readonly retriesForwarded: number;
  /** The same, by source topic and failed attempt. */
  readonly retries: readonly RetryCount[];
  /** Each retry topic's records waiting for their due time now (see RetryWaiting). */
  readonly retryWaiting: readonly RetryWaiting[];
}

/** The connection a pipeline runs on: its mode, its offsets, its producer and consumer. */
export type PipelineConnection = Pick<
  KafkaConnection,
  | 'dispatchMode'
  | 'offsets'
  | 'produceQueue'
  | 'consumer'
  | 'producer'
  | 'seek'
  | 'pause'
  | 'resume'
  | 'assignment'
>;

/**
 * One record's way, from a fetched batch to its replies and its finished offset: a BatchRunner (order,
 * concurrency, the finished prefix in the connection's offsets) hands each record to a MessageRouter
 * (decode, route, run the handler under its failure policy, produce replies through the connection's
 * produce queue). A front end configures it, hands `eachBatch` and the pipeline itself (as the in-flight
 * work a drain settles) to its connection, and starts it on that connection; nothing calls the front end
 * back per batch or per record.
 */
export class RecordPipeline {
  readonly #options: RecordPipelineOptions;
  #running:
    | {
        runner: BatchRunner;
        router: MessageRouter;
        pauses: PartitionPauses;
        connection: PipelineConnection;
      }
    | undefined;

  constructor(options: RecordPipelineOptions) {
    this.#options = options;
  }

  /** The connection's batch handler. Batches arrive only once the pipeline is started (connect() comes after). */
  readonly eachBatch = (payload: FetchedBatch): Promise<void> => this.#started().runner.eachBatch(payload);

  /**
   * Builds the runner and the router on `connection`: records are produced through its produce queue,
   * finished into its offsets, and stop as its machine says (`dispatchMode`).
   */
  start(connection: PipelineConnection): void {
    if (this.#running) return;
    const options = this.#options;
    const router = new MessageRouter({
      registry: options.registry,
      parser: options.parser,
      deserializer: options.deserializer,
      serializer: options.serializer,
      produceQueue: connection.produceQueue,
      retry: options.retry,
      handlerTimeoutMs: options.handlerTimeoutMs,
      replyTimeoutMs: options.replyTimeoutMs,
      deadLetter: options.deadLetter,
      logger: options.logger,
      tracing: options.tracing,
      retryTopics: options.retryTopics,
    });
    const pauses = new PartitionPauses({
      pause: (topic, partition) => connection.pause(topic, partition),
      resume: (topic, partition) => connection.resume(topic, partition),
      logger: options.logger,
    });
    // The objects a KafkaContext exposes; the connection made them already, and they never change.
    const consumer = connection.consumer as Consumer;
    const producer = connection.producer;
    const runner = new BatchRunner({
      ordering: options.ordering,
      maxInFlightPerPartition: options.maxInFlightPerPartition,
      offsets: connection.offsets,
      dispatchMode: () => connection.dispatchMode,
      detach: {
        seek: (topic, partition, offset) => connection.seek(topic, partition, offset),
        logger: options.logger,
      },
      handle: (record: RawKafkaRecord, heartbeat: () => Promise<void>) =>
        router.deferral(record) ?? router.handle(record, { heartbeat, consumer, producer }),
      defer: (topic, partition, dueAtMs, held) => {
        pauses.pauseUntil(topic, partition, dueAtMs, held);
        publishRetryWaiting(() => ({
          source: options.retryTopics?.stagesOf(topic)?.[0]?.plan.source ?? topic,
          topic,
          partition,
          offset: held.offset,
          dueAt: dueAtMs,
          waiting: countHeld(held),
        }));
      },
    });
    this.#running = { runner, router, pauses, connection };
  }

  get stats(): RecordPipelineStats {
    const running = this.#running;
    return {
      recordsFinished: running?.runner.stats.finished ?? 0,
      recordsAbandoned: running?.runner.stats.abandoned ?? 0,
      repliesSent: running?.router.repliesSent ?? 0,
      handlerFailures: running?.router.handlerFailures ?? 0,
      deadLetters: running?.router.deadLetters ?? 0,
      retriesForwarded: running?.router.retriesForwarded ?? 0,
      retries: running?.router.retryCounts ?? [],
      retryWaiting: this.#options.retryTopics
        ? toRetryWaiting(this.#options.retryTopics, this.#ownPauses())
        : [],
    };
  }

  /**
   * Resolves once no batch is running (see BatchRunner.finish()); the connection's drain waits for it. The
   * retry partitions' resume timers go with it: the consumer stops, and its next run starts unpaused.
   */
  async finish(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    await running.runner.finish();
    running.pauses.clear();
  }

  /**
   * An operator's skip of the record an event handler is stuck on (see skip-record.ts), on a partition this
   * member holds now; else refused with the reason.
   */
  async skip(command: SkipCommand): Promise<CommandOutcome> {
    const running = this.#running;
    const { topic, partition } = command;
    if (!running || !running.connection.assignment[topic]?.includes(partition)) {
      return {
        accepted: false,
        reason: `partition ${topic}/${partition} is not held by this server: skip on the member that holds it`,
      };
    }
    return running.router.skip(command);
  }

  /** Stops waiting for running handlers (an abandoning close). */
  abandon(): void {
    this.#running?.runner.abandon();
  }

  /**
   * A new group generation: see BatchRunner.regroup(). Paused partitions keep their timers: one still
   * owned resumes at its due time, and resuming one now owned elsewhere does nothing.
   */
  regroup(): void {
    this.#running?.runner.regroup();
  }

  /**
   * The paused partitions this member still owns: one revoked while paused keeps its timer (see regroup()),
   * but its records now wait at its new owner, which counts them.
   */
  #ownPauses(): PausedPartition[] {
    const running = this.#running;
    if (!running) return [];
    const assignment = running.connection.assignment;
    return running.pauses.paused.filter(({ topic, partition }) => assignment[topic]?.includes(partition));
  }

  #started(): { runner: BatchRunner } {
    const running = this.#running;
    if (!running) {
      throw new RxKafkaError(
        'RXK_NOT_CONNECTED',
        'a batch arrived before its pipeline was started: call start() first',
      );
    }
    return running;
  }
}
