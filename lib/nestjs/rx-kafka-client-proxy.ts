import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { lastValueFrom, type Observable, type ReplaySubject, type Subscription } from 'rxjs';
import { KafkaClient, type SendOptions } from '../client/kafka-client';
import type { ConnectionStatus } from '../connection/connection-status';
import { RxKafkaError } from '../errors';
import type { Kafka, TopicPartitionOffsetAndMetadata } from '../kafka/kafkajs/kafkajs-types';
import type { KafkaClientOptions } from '../options';

/**
 * Options of `RxKafkaClientProxy`: NestJS's `KafkaOptions['options']` (a `ClientsModule` entry's `options`,
 * as it is) plus rxkafka's `requestTimeoutMs`, `maxPendingRequests`, `producerOnlyMode` and `logger`.
 */
export type RxKafkaClientProxyOptions = KafkaClientOptions;

/** The events `RxKafkaClientProxy.on()` takes. */
export interface RxKafkaClientProxyEvents {
  /** Each status change (the values of `status`). */
  status: (status: ConnectionStatus) => void;
  [event: string]: (...args: never[]) => void;
}

/**
 * A NestJS `ClientProxy` over rxkafka's `KafkaClient`, for
 * `ClientsModule.register([{ name: 'HERO_SERVICE', customClass: RxKafkaClientProxy, options }])` and
 * `@Inject('HERO_SERVICE') client: RxKafkaClientProxy`. `send()` and `emit()` behave as `ClientKafka`'s,
 * with rxkafka's additions: a per-request timeout (`requestTimeoutMs`, or `send(pattern, data, { timeoutMs })`),
 * replies routed through the NestReplyPartitionAssigner (so it shares a group with `ClientKafka`s), and
 * typed errors: an error reply fails with `RemoteError` (its `response` is what `ClientKafka` would emit),
 * a timeout with `RequestTimeoutError`.
 *
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` from the constructor for invalid options.
 */
// Status is `string` in the type, as ClientsModule's `customClass: Type<ClientProxy>` requires; its values are
// ConnectionStatus.
export class RxKafkaClientProxy extends ClientProxy<RxKafkaClientProxyEvents, string> {
  readonly #client: KafkaClient;
  readonly #listeners: Array<(status: ConnectionStatus) => void> = [];
  #statusSubscription: Subscription | undefined;

  constructor(options: RxKafkaClientProxyOptions = {}) {
    super();
    this.#client = new KafkaClient(options);
  }

  /** rxkafka's client underneath (pending requests, `onRequestSettled`, the connection actor). */
  get client(): KafkaClient {
    return this.#client;
  }

  /** Registers `pattern`'s reply topic; call it before connect(), as with `ClientKafka`. */
  subscribeToResponseOf(pattern: unknown): void {
    this.#client.subscribeToResponseOf(this.normalizePattern(pattern as string));
  }

  /** Connects the producer and the reply consumer; resolves once replies can be received. */
  async connect(): Promise<void> {
    await this.#client.connect();
    this.#statusSubscription ??= this.#client.status$.subscribe((status) => {
      // NestJS 10's ClientProxy has no status stream (11 added it).
      (this._status$ as ReplaySubject<string> | undefined)?.next(status);
      for (const listener of this.#listeners) listener(status);
    });
  }

  /** Fails pending requests with RXK_CONNECTION_CLOSED, flushes queued records, disconnects. */
  async close(): Promise<void> {
    await this.#client.close();
    this.#statusSubscription?.unsubscribe();
    this.#statusSubscription = undefined;
  }

  /**
   * Sends a request; the stream emits each reply and completes on the last (cold, connects first).
   * `options.timeoutMs` overrides `requestTimeoutMs` for this request.
   */
  override send<TResult = unknown, TInput = unknown>(
    pattern: unknown,
    data: TInput,
    options?: SendOptions,
  ): Observable<TResult> {
    return this.#client.send<TResult, TInput>(this.normalizePattern(pattern as string), data, options);
  }

  /** Publishes an event; hot, completes once Kafka acknowledged it. */
  override emit<TResult = void, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult> {
    return this.#client.emit(this.normalizePattern(pattern as string), data) as Observable<TResult>;
  }

  /** Publishes several events in one produce request (`ClientKafka.emitBatch`). */
  emitBatch<TInput = unknown>(pattern: unknown, batch: { messages: TInput[] }): Observable<void> {
    return this.#client.emitBatch(this.normalizePattern(pattern as string), batch);
  }

  /** Commits reply-consumer offsets (`ClientKafka.commitOffsets`). */
  commitOffsets(topicPartitions: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    return this.#client.commitOffsets(topicPartitions);
  }

  /** Reply topic → this instance's reply partition (`ClientKafka.getConsumerAssignments`). */
  getConsumerAssignments(): Record<string, number> {
    return this.#client.getConsumerAssignments();
  }

  /** Registers a `status` listener (Nest 11's `ClientProxy.on`). */
  override on<EventKey extends keyof RxKafkaClientProxyEvents = keyof RxKafkaClientProxyEvents>(
    event: EventKey,
    callback: RxKafkaClientProxyEvents[EventKey],
  ): void {
    if (event !== 'status') {
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        `RxKafkaClientProxy has no event ${String(event)}: listen to 'status'`,
        { path: 'on' },
      );
    }
    this.#listeners.push(callback as (status: ConnectionStatus) => void);
  }

  /** The kafkajs `Kafka` instance (`ClientKafka.unwrap()`). */
  unwrap<T = Kafka>(): T {
    return this.#client.unwrap() as T;
  }

  /** ClientProxy's callback contract, for code that calls it directly; send() does not go through it. */
  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const subscription = this.send(packet.pattern, packet.data).subscribe({
      next: (response) => callback({ response, isDisposed: false }),
      error: (err: unknown) => callback({ err, isDisposed: true }),
      complete: () => callback({ isDisposed: true }),
    });
    return () => subscription.unsubscribe();
  }

  /** ClientProxy's event contract, for code that calls it directly. */
  protected dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    return lastValueFrom(this.emit(packet.pattern, packet.data), { defaultValue: undefined }) as Promise<T>;
  }
}
