import { Server, Transport, type CustomTransportStrategy } from '@nestjs/microservices';
import type { ReplaySubject, Subscription } from 'rxjs';
import type { ConnectionStatus } from '../connection/connection-status';
import { RxKafkaError } from '../errors';
import type { Consumer, Kafka, Producer } from '../kafka/kafkajs/kafkajs-types';
import type { KafkaServerOptions } from '../options';
import { KafkaServer, type DrainReport } from '../server/kafka-server';
import { createNestHandlerSource } from './nest-handler-source';

/**
 * Options of `RxKafkaStrategy`: NestJS's `KafkaOptions['options']` (the object a `Transport.KAFKA`
 * microservice takes, passed as it is) plus rxkafka's server options (`partitionConcurrency`, `ordering`,
 * `handlerTimeoutMs`, `retry`, `deadLetter`, `drainTimeoutMs`, `logger`…).
 */
export type RxKafkaStrategyOptions = KafkaServerOptions;

/** The events `RxKafkaStrategy.on()` takes. */
export interface RxKafkaStrategyEvents {
  /** After each close(): what happened to in-flight work. */
  drained: (report: DrainReport) => void;
  /** Each status change (the values of `status`). */
  status: (status: ConnectionStatus) => void;
  [event: string]: (...args: never[]) => void;
}

/**
 * A NestJS transport strategy running the application's own `@MessagePattern`/`@EventPattern` handlers
 * (with their guards, pipes, interceptors and exception filters) on rxkafka's server:
 * `NestFactory.createMicroservice(AppModule, { strategy: new RxKafkaStrategy(options) })`.
 *
 * What changes against `Transport.KAFKA`: an offset is committed only after its handler finished and its
 * replies were acknowledged; partitions run concurrently (`partitionConcurrency`) and, with
 * `ordering: 'key'`, keys of one partition too; a failing event is logged (and dead-lettered) instead of
 * stalling its partition; a silent handler is cut off after `handlerTimeoutMs`; `app.close()` drains
 * in-flight work, and `drainReport` (and `on('drained')`) tell what happened.
 *
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` from the constructor for invalid options.
 */
export class RxKafkaStrategy
  extends Server<RxKafkaStrategyEvents, ConnectionStatus>
  implements CustomTransportStrategy
{
  readonly #server: KafkaServer;
  readonly #listeners = new Map<string, Array<(...args: never[]) => void>>();
  #statusSubscription: Subscription | undefined;
  #drainReport: DrainReport | undefined;

  constructor(options: RxKafkaStrategyOptions = {}) {
    super();
    // As ServerKafka: handlers scoped to Transport.KAFKA bind here, those of another transport (a hybrid app) do not.
    this.transportId = Transport.KAFKA;
    // KafkaServer validates the options at once, so a wrong one fails where the strategy is built.
    this.#server = new KafkaServer(createNestHandlerSource(this), options);
  }

  /** rxkafka's server underneath: its connection actor (for the inspector), `stats`, `assignment$`. */
  get server(): KafkaServer {
    return this.#server;
  }

  /** The report of the last close(), or undefined before one. */
  get drainReport(): DrainReport | undefined {
    return this.#drainReport;
  }

  /** Called by Nest's `app.listen()`: connects, subscribes to the handlers' topics, starts consuming. */
  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.#server.listen();
      this.#statusSubscription ??= this.#server.status$.subscribe((status) => {
        // NestJS 10's Server has no status stream (11 added it).
        (this._status$ as ReplaySubject<ConnectionStatus> | undefined)?.next(status);
        this.#emit('status', status);
      });
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Called by Nest's `app.close()`: drains in-flight handlers and replies, commits, disconnects. */
  async close(): Promise<void> {
    const report = await this.#server.close();
    this.#statusSubscription?.unsubscribe();
    this.#statusSubscription = undefined;
    this.#drainReport = report;
    this.#emit('drained', report);
  }

  /** Registers a listener for `drained` or `status` (Nest 11's `Server.on`). */
  on<EventKey extends keyof RxKafkaStrategyEvents = keyof RxKafkaStrategyEvents>(
    event: EventKey,
    callback: RxKafkaStrategyEvents[EventKey],
  ): void {
    if (event !== 'drained' && event !== 'status') {
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        `RxKafkaStrategy has no event ${String(event)}: listen to 'drained' or 'status'`,
        { path: 'on' },
      );
    }
    const name = String(event);
    this.#listeners.set(name, [...(this.#listeners.get(name) ?? []), callback]);
  }

  /** The kafkajs objects, as NestJS's `ServerKafka.unwrap()`: `[kafka, consumer, producer]`. */
  unwrap<T = [Kafka, Consumer, Producer]>(): T {
    try {
      return this.#server.unwrap() as T;
    } catch {
      // NestJS's own words (server-kafka.ts), for code that matches on them.
      throw new Error(
        'Not initialized. Please call the "listen"/"startAllMicroservices" method before accessing the server.',
      );
    }
  }

  #emit(event: string, ...args: unknown[]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      (listener as (...values: unknown[]) => void)(...args);
    }
  }
}
