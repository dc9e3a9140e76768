import { defer, from, map, Observable, switchMap, type Observer, type Subscriber } from 'rxjs';
import type { ConnectionStatus } from '../connection/connection-status';
import type { ConnectionTransition } from '../connection/inspection';
import type { FetchedBatch } from '../kafka/fetched-batch';
import type { KafkaDriver } from '../kafka/kafka-driver';
import { createDriver } from '../options/create-driver';
import type {
  Consumer,
  Kafka,
  Producer,
  TopicPartitionOffsetAndMetadata,
} from '../kafka/kafkajs/kafkajs-types';
import { createKafkaConnection } from '../connection/create-kafka-connection';
import type { KafkaConnection } from '../connection/kafka-connection';
import { publishRequestSent, publishRequestSettled } from '../diagnostics/publish-diagnostics';
import { RxKafkaError } from '../errors';
import { resolveClientOptions, type KafkaClientOptions, type ResolvedClientOptions } from '../options';
import { createCorrelationId } from '../wire/correlation-id';
import { KafkaResponseDeserializer, type Deserializer, type ReplyPacket } from '../wire/deserializer';
import type { OutgoingMessage } from '../wire/outgoing-message';
import { KafkaParser, toRawRecord } from '../wire/parser';
import { isPromiseLike } from '../pipeline/to-observable';
import { encodeRequest } from '../wire/request-encoder';
import { createKafkaTracing, type KafkaTracing, type SendSpan } from '../tracing/kafka-tracing';
import { KafkaRequestSerializer, type Serializer } from '../wire/serializer';
import {
  PendingRequests,
  type OldestPendingRequest,
  type PendingRequestsSummary,
  type RequestOutcome,
} from './pending-requests';
import { ReplyAssignments } from './reply-assignments';

export interface SendOptions {
  /** Overrides the client's `requestTimeoutMs` for this request; 0 disables it. */
  readonly timeoutMs?: number;
}

/**
 * The rxkafka client (NestJS's `ClientKafka`): request/reply over `<pattern>` and `<pattern>.reply` topics
 * with NestJS's headers, and events. Its reply consumer joins its group with the NestReplyPartitionAssigner
 * protocol, so rxkafka and NestJS clients can share one group and reply topic.
 */
export class KafkaClient {
  readonly #options: ResolvedClientOptions;
  readonly #driver: KafkaDriver;
  readonly #serializer: Serializer;
  readonly #deserializer: Deserializer<ReplyPacket | undefined>;
  readonly #parser: KafkaParser;
  readonly #responsePatterns = new Set<string>();
  readonly #assignments = new ReplyAssignments();
  readonly #pending: PendingRequests;
  /** Undefined unless an OpenTelemetry SDK was registered when the client was made. */
  readonly #tracing: KafkaTracing | undefined;
  #connection: KafkaConnection | undefined;
  /** The seek past replies older than this instance, done once, after the first connect that succeeded. */
  #oldRepliesSkipped: Promise<void> | undefined;

  constructor(options: KafkaClientOptions = {}) {
    this.#options = resolveClientOptions(options);
    this.#driver = createDriver(this.#options.driver, this.#options.kafkaConfig, this.#options.logger);
    this.#serializer = this.#options.serializer ?? new KafkaRequestSerializer();
    this.#deserializer =
      (this.#options.deserializer as Deserializer<ReplyPacket | undefined> | undefined) ??
      new KafkaResponseDeserializer();
    this.#parser = new KafkaParser({ keepBinary: this.#options.keepBinary });
    this.#pending = new PendingRequests(this.#options.maxPendingRequests);
    this.#tracing = createKafkaTracing(
      {
        clientId: this.#options.clientId,
        groupId: this.#options.producerOnlyMode ? undefined : this.#options.groupId,
      },
      this.#options.logger,
    );
    this.#pending.onSettled((outcome, ms, id, pattern) =>
      publishRequestSettled(this.#connection?.actor, id, pattern, outcome, ms),
    );
  }

  /** The reply topic of `pattern`; override to change the `<pattern>.reply` convention. */
  getResponsePatternName(pattern: string): string {
    return `${pattern}.reply`;
  }

  /**
   * Subscribes the reply consumer to `pattern`'s reply topic. Call it before connect(): a consumer cannot
   * add topics while it runs.
   * @throws RxKafkaError RXK_INVALID_OPTIONS after connect(), or with an empty pattern.
   */
  subscribeToResponseOf(pattern: string): void {
    if (typeof pattern !== 'string' || pattern.length === 0) {
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        `subscribeToResponseOf() needs a topic name, got ${JSON.stringify(pattern)}`,
      );
    }
    const replyTopic = this.getResponsePatternName(pattern);
    if (this.#isConnectCalled() && !this.#responsePatterns.has(replyTopic)) {
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        `subscribeToResponseOf('${pattern}') came after connect(): call it before connect(), or close() and connect() again`,
        { topic: replyTopic },
      );
    }
    this.#responsePatterns.add(replyTopic);
  }

  /**
   * Connects the producer and (unless producerOnlyMode) the reply consumer; resolves once the consumer has
   * its reply partitions. A failed connect() may be called again.
   */
  async connect(): Promise<void> {
    // The connection's machine decides what a call does: it starts connecting from idle, stopped or failed,
    // and is only waited on while connecting or ready.
    const connection = (this.#connection ??= this.#createConnection());
    await connection.connect();
    this.#oldRepliesSkipped ??= this.#skipOldReplies();
    await this.#oldRepliesSkipped;
  }

  /**
   * Sends a request and returns the stream of its replies (cold: each subscription sends one request). The
   * stream completes on the reply carrying `kafka_nest-is-disposed`, errors with RemoteError on an error
   * reply, with RequestTimeoutError when no reply comes within the timeout (reset by each reply), and with
   * RXK_NO_REPLY_PARTITION when this client holds no partition of the reply topic. Unsubscribing abandons
   * the request. Connects first if needed.
   */
  send<TResult = unknown, TInput = unknown>(
    pattern: string,
    data: TInput,
    options: SendOptions = {},
  ): Observable<TResult> {
    const request = new Observable<TResult>((subscriber) =>
      this.#request(pattern, data, options, subscriber),
    );
    // While the connection serves (its machine says so), a request is just the request: no connect() step
    // wrapped around every call. Otherwise it connects first (again after close() or a failure).
    return defer(() =>
      this.#connection?.isServing ? request : from(this.connect()).pipe(switchMap(() => request)),
    );
  }

  /**
   * Publishes an event (no reply). Hot, like NestJS: the record is sent even if nobody subscribes; the
   * returned stream completes once Kafka acknowledged it, or errors (a failure is also logged).
   */
  emit<TInput = unknown>(pattern: string, data: TInput): Observable<void> {
    return this.#publishEvents(pattern, [data]);
  }

  /** Publishes several events to one topic in one produce request (NestJS `emitBatch`). Hot, as emit(). */
  emitBatch<TInput = unknown>(pattern: string, batch: { messages: readonly TInput[] }): Observable<void> {
    return this.#publishEvents(pattern, batch.messages);
  }

  /** Commits offsets of the reply consumer (NestJS `ClientKafka.commitOffsets`). */
  async commitOffsets(topicPartitions: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    const consumer = this.#connection?.consumer;
    if (!consumer) {
      throw new RxKafkaError(
        'RXK_NOT_CONNECTED',
        'commitOffsets() needs the reply consumer: connect() first (and not in producerOnlyMode)',
      );
    }
    await consumer.commitOffsets(topicPartitions);
  }

  /**
   * Fails every pending request with RXK_CONNECTION_CLOSED, flushes queued records and disconnects.
   * Returns how many pending requests were failed.
   */
  async close(): Promise<{ pendingRequestsFailed: number }> {
    const failed = this.#pending.failAll(
      (pattern, id) =>
        new RxKafkaError(
          'RXK_CONNECTION_CLOSED',
          `the client closed while the request to ${pattern} waited for its reply`,
          {
            topic: pattern,
            correlationId: id,
          },
        ),
    );
    await this.#connection?.close('drain');
    this.#assignments.clear();
    return { pendingRequestsFailed: failed };
  }

  /** Status values (NestJS's plus rxkafka's); replays the current one. */
  get status$(): Observable<ConnectionStatus> {
    return this.#requireConnection().status$;
  }

  /** Every transition of the connection actor. */
  get transitions$(): Observable<ConnectionTransition> {
    return this.#requireConnection().transitions$;
  }

  /** The connection actor (after connect()). */
  get connection(): KafkaConnection {
    return this.#requireConnection();
  }

  /** Reply topic → the partition replies to this instance go to (NestJS `getConsumerAssignments`). */
  getConsumerAssignments(): Record<string, number> {
    return this.#assignments.toPreviousAssignment();
  }

  /** Requests waiting for replies. */
  get pendingRequests(): number {
    return this.#pending.size;
  }

  /** The requests at a glance: pending now, the oldest wait, timed out and answered so far. */
  get requests(): PendingRequestsSummary {
    return this.#pending.summary();
  }

  /**
   * The request that has waited longest, with the reply topic and partition its replies are expected on
   * (no partition: none is assigned to this instance now); undefined when none waits.
   */
  get oldestRequest(): (OldestPendingRequest & { replyTopic: string; replyPartition?: number }) | undefined {
    const oldest = this.#pending.oldest();
    if (!oldest) return undefined;
    const replyTopic = this.getResponsePatternName(oldest.pattern);
    const replyPartition = this.#assignments.get(replyTopic);
    return { ...oldest, replyTopic, ...(replyPartition === undefined ? {} : { replyPartition }) };
  }

  /**
   * Calls `listener` as each request is answered or times out, with its duration; returns the remover.
   * The `rxkafka:request:settled` diagnostics channel carries the same, for every client of the process.
   */
  onRequestSettled(listener: (outcome: RequestOutcome, ms: number) => void): () => void {
    return this.#pending.onSettled(listener);
  }

  get consumer(): Consumer {
    const consumer = this.#connection?.consumer;
    if (!consumer)
      throw new RxKafkaError(
        'RXK_NOT_CONNECTED',
        'no consumer: connect() first (and not in producerOnlyMode)',
      );
    return consumer;
  }

  get producer(): Producer {
    return this.#requireConnection().producer;
  }

  /** The kafkajs `Kafka` instance (NestJS `ClientKafka.unwrap()`). */
  unwrap(): Kafka {
    return this.#driver.native as Kafka;
  }

  /** True from connect() until close() ends or the connection gives up (`failed`). */
  #isConnectCalled(): boolean {
    const state = this.#connection?.state;
    return state !== undefined && state !== 'idle' && state !== 'stopped' && state !== 'failed';
  }

  /**
   * Moves the reply consumer to the end of its reply partitions before connect() resolves. A new group
   * otherwise resolves "latest" only at its first fetch, and a reply written before that fetch (to a
   * request sent right after connect()) would be skipped. No request of this instance exists yet, so
   * nothing it waits for lies before the end.
   */
  async #skipOldReplies(): Promise<void> {
    const connection = this.#connection;
    const assigned = Object.entries(connection?.assignment ?? {});
    if (!connection?.consumer || assigned.length === 0) return;
    try {
      for (const [topic, partitions] of assigned) {
        const ends = await this.#driver.fetchEndOffsets(topic);
        for (const { partition, high } of ends) {
          if (partitions.includes(partition)) connection.seek(topic, partition, high);
        }
      }
    } catch (error) {
      // Best effort: without the seek the consumer still starts at the end, only at its first fetch.
      this.#options.logger.warn('could not look up the end of the reply partitions', { error });
    }
  }

  #createConnection(): KafkaConnection {
    const options = this.#options;
    const source = { ...options, driver: this.#driver };
    if (options.producerOnlyMode || this.#responsePatterns.size === 0) {
      return createKafkaConnection(source, { kind: 'producer' });
    }
    const connection = createKafkaConnection(source, {
      kind: 'consumer',
      replyPartitions: this.#assignments,
      topics: [...this.#responsePatterns],
      eachBatch: (batch) => this.#onReplies(batch),
    });
    // From each join, not from the actor's assignment: the actor clears it during a rebalance, but the
    // assigner must keep offering the previous partitions so they stay with this instance.
    connection.joins$.subscribe(({ assignment }) => this.#assignments.update(assignment));
    return connection;
  }

  #request(
    pattern: string,
    data: unknown,
    options: SendOptions,
    subscriber: Subscriber<unknown>,
  ): () => void {
    const replyTopic = this.getResponsePatternName(pattern);
    const replyPartition = this.#assignments.get(replyTopic);
    if (replyPartition === undefined) {
      subscriber.error(this.#noReplyPartitionError(pattern, replyTopic));
      return () => undefined;
    }
    const id = createCorrelationId();
    // The request's span lasts from the send to its last reply, error or timeout (or the unsubscribe).
    const span = this.#tracing?.startSend(pattern, 1, { conversationId: id });
    try {
      this.#pending.add(
        id,
        pattern,
        span ? endingSpan(subscriber, span) : subscriber,
        options.timeoutMs ?? this.#options.requestTimeoutMs,
        span,
      );
    } catch (error) {
      span?.end(error);
      subscriber.error(error);
      return () => undefined;
    }
    publishRequestSent(
      this.#connection?.actor,
      pattern,
      id,
      replyTopic,
      replyPartition,
      options.timeoutMs ?? this.#options.requestTimeoutMs,
    );
    const produce = (serialized: OutgoingMessage): Promise<void> => {
      const record = encodeRequest(serialized, { correlationId: id, replyTopic, replyPartition });
      return this.#requireConnection().produceQueue.send(pattern, span ? span.inject([record]) : [record]);
    };
    const fail = (error: unknown): void => this.#pending.fail(id, error);
    try {
      const serialized = this.#serializer.serialize(data, { pattern });
      (isPromiseLike(serialized) ? Promise.resolve(serialized).then(produce) : produce(serialized)).catch(
        fail,
      );
    } catch (error) {
      fail(error);
    }
    return () => {
      this.#pending.remove(id);
      span?.end();
    };
  }

  #noReplyPartitionError(pattern: string, replyTopic: string): RxKafkaError {
    if (this.#options.producerOnlyMode) {
      return new RxKafkaError(
        'RXK_PRODUCER_ONLY_MODE',
        `send('${pattern}') needs a reply consumer, which producerOnlyMode turns off`,
        {
          topic: replyTopic,
        },
      );
    }
    const reason = this.#responsePatterns.has(replyTopic)
      ? `no partition of ${replyTopic} is assigned to this client: give the reply topic at least as many partitions as client instances in group ${this.#options.groupId}`
      : `${replyTopic} is not subscribed: call subscribeToResponseOf('${pattern}') before connect()`;
    return new RxKafkaError(
      'RXK_NO_REPLY_PARTITION',
      `The client consumer did not subscribe to the corresponding reply topic (${replyTopic}): ${reason}`,
      { topic: replyTopic },
    );
  }

  #publishEvents(pattern: string, items: readonly unknown[]): Observable<void> {
    const tracing = this.#tracing;
    // The caller's context, taken now: the send happens after a connect and the serializer.
    const parent = tracing?.activeContext();
    const connected = this.#connection?.isServing ? Promise.resolve() : this.connect();
    const sent = connected
      .then(() => Promise.all(items.map((item) => this.#serializer.serialize(item, { pattern }))))
      .then((messages) => {
        const queue = this.#requireConnection().produceQueue;
        // One send span for the produce call, emitBatch's included: every record carries its context.
        return tracing
          ? tracing.send(pattern, messages, (traced) => queue.send(pattern, traced), { parent })
          : queue.send(pattern, messages);
      });
    sent.catch((error: unknown) => this.#options.logger.error(`emitting to ${pattern} failed`, { error }));
    return from(sent).pipe(map(() => undefined));
  }

  async #onReplies({ batch, resolveOffset, heartbeat }: FetchedBatch): Promise<void> {
    const { topic, partition } = batch;
    for (const message of batch.messages) {
      const record = toRawRecord(message, topic, partition);
      const parsed = this.#parser.parse(record);
      const deserialized = this.#deserializer.deserialize(parsed, { channel: topic });
      // The default deserializer answers synchronously: no await (and no microtask) per reply.
      const packet = isPromiseLike(deserialized) ? await deserialized : deserialized;
      if (!packet) continue;
      if (this.#tracing === undefined) {
        this.#pending.deliver(packet, topic, partition);
        continue;
      }
      // The reply's process span, child of the server's send: the caller's subscriber runs inside it.
      const span = this.#tracing.startProcess(record, packet.id);
      this.#tracing.with(span.context, () => this.#pending.deliver(packet, topic, partition));
      span.end();
    }
    // Replies are routed in memory; nothing is lost by committing once the batch is handed over.
    const last = batch.messages[batch.messages.length - 1];
    if (last) {
      resolveOffset(last.offset);
      // Reported as a server reports its handled records: the inspector's "finished" of a reply partition.
      this.#connection?.progress.recordsFinished(topic, partition, batch.messages.length, last.offset);
    }
    await heartbeat();
  }

  #requireConnection(): KafkaConnection {
    if (!this.#connection)
      throw new RxKafkaError('RXK_NOT_CONNECTED', 'the client is not connected: call connect() first');
    return this.#connection;
  }
}

/** The subscriber of a traced request: its span ends (failed, for an error) as the stream does. */
function endingSpan(subscriber: Subscriber<unknown>, span: SendSpan): Observer<unknown> {
  return {
    next: (value) => subscriber.next(value),
    error: (error: unknown) => {
      span.end(error);
      subscriber.error(error);
    },
    complete: () => {
      span.end();
      subscriber.complete();
    },
  };
}
