import { createKafkaConnection } from '../connection/create-kafka-connection';
import type { KafkaConnection } from '../connection/kafka-connection';
import type { WrittenOffset } from '../connection/written-offsets';
import type { OutgoingRecord } from '../kafka/kafka-record';
import { createDriver, type DriverOption } from '../options/create-driver';
import type { KafkaConfig, ProducerConfig, ProducerRecord } from '../kafka/kafkajs/kafkajs-types';
import type { Logger } from '../logger';
import { checkKnownKeys, checkRootObject, throwInvalidOption } from '../options/option-checks';
import { resolveTransportOptions } from '../options/transport-options';
import { createKafkaTracing, type KafkaTracing } from '../tracing/kafka-tracing';

/** Options of `createProducer()`. */
export interface StreamProducerOptions {
  /** kafkajs client config (brokers, clientId, ssl, sasl…). @defaultValue `{ brokers: ['localhost:9092'], clientId: 'rxkafka-producer' }` */
  client?: Partial<KafkaConfig>;
  /** kafkajs producer config (idempotent, retry…). @defaultValue `{}` */
  producer?: ProducerConfig;
  /** Spread into every produce request: `acks` (-1 or 1: offsets need an answer), `timeout`, `compression`. @defaultValue `{}` */
  send?: Omit<ProducerRecord, 'topic' | 'messages'>;
  /** Where the producer and kafkajs log. @defaultValue warnings and errors to stderr */
  logger?: Logger;
  /** The Kafka client library: `'kafkajs'`, `'platformatic'`, or a KafkaDriver (a fake one in unit tests). @defaultValue `'kafkajs'` */
  driver?: DriverOption;
}

const PRODUCER_OPTION_KEYS: Record<keyof StreamProducerOptions, true> = {
  client: true,
  producer: true,
  send: true,
  logger: true,
  driver: true,
};

/**
 * A producer for `produceTo()`: a producer-only KafkaConnection (so the inspector can show it) whose sends
 * are batched with one request in flight, which keeps the order of records to a partition, and which
 * answer where each record was written. Connects on the first send, or with connect().
 */
export class StreamProducer {
  /** The producer's connection actor. */
  readonly connection: KafkaConnection;
  /** Undefined unless an OpenTelemetry SDK was registered when the producer was made. */
  readonly #tracing: KafkaTracing | undefined;
  #connecting: Promise<void> | undefined;

  constructor(options: StreamProducerOptions = {}) {
    checkRootObject(options, 'StreamProducerOptions');
    checkKnownKeys('', options, Object.keys(PRODUCER_OPTION_KEYS));
    const resolved = resolveTransportOptions(
      {
        client: { ...options.client, clientId: options.client?.clientId || 'rxkafka-producer' },
        producer: options.producer,
        send: options.send,
        logger: options.logger,
        driver: options.driver,
        postfixId: '',
      },
      '',
    );
    if (resolved.sendConfig.acks === 0) {
      throwInvalidOption(
        'send.acks',
        'option send.acks must be -1 or 1 for a stream producer, got 0: Kafka answers no offset without acknowledgements, and produceTo() emits them',
      );
    }
    this.connection = createKafkaConnection(
      {
        driver: createDriver(resolved.driver, resolved.kafkaConfig, resolved.logger),
        clientId: resolved.clientId,
        logger: resolved.logger,
        producerConfig: resolved.producerConfig,
        sendConfig: resolved.sendConfig,
      },
      { kind: 'producer' },
    );
    this.#tracing = createKafkaTracing({ clientId: resolved.clientId }, resolved.logger);
  }

  /** Connects the producer; calling it again is harmless. A failed connect may be retried. */
  connect(): Promise<void> {
    this.#connecting ??= this.connection.connect().catch((error: unknown) => {
      this.#connecting = undefined;
      throw error;
    });
    return this.#connecting;
  }

  /**
   * Writes `records` to `topic` and resolves, once Kafka acknowledged them, with where each was written.
   * Traced, one `send` span covers the call (`messaging.batch.message_count` records), a child of the
   * caller's context, and each record carries that span's context.
   * @throws RxKafkaError RXK_SEND_FAILED (rejects) when Kafka did not take them.
   */
  async send(topic: string, records: OutgoingRecord[]): Promise<WrittenOffset[]> {
    const parent = this.#tracing?.activeContext();
    if (!this.connection.isServing) await this.connect();
    const queue = this.connection.produceQueue;
    return this.#tracing
      ? this.#tracing.send(topic, records, (traced) => queue.sendForOffsets(topic, traced), { parent })
      : queue.sendForOffsets(topic, records);
  }

  /** Sends what is queued, then disconnects. */
  async close(): Promise<void> {
    this.#connecting = undefined;
    await this.connection.close('drain');
  }
}

/** A producer for `produceTo()` (see StreamProducer). @throws RxKafkaError RXK_INVALID_OPTIONS for invalid options. */
export function createProducer(options: StreamProducerOptions = {}): StreamProducer {
  return new StreamProducer(options);
}
