/**
 * Exactly-once consume-transform-produce: `processExactlyOnce()` and the processor it returns.
 */
import type { KafkaConnection } from '../connection/kafka-connection';
import type { RxKafkaError } from '../errors';
import type { KafkaDriver } from '../kafka/kafka-driver';
import { createDriver } from '../options/create-driver';
import { createDeadLetter } from '../pipeline/dead-letter';
import type { ExactlyOnceStats, TransformFailure } from './exactly-once-settings';
import { ExactlyOnceConsumer } from './exactly-once-consumer';
import type { TopicRecord } from './transform-outputs';
import { resolveExactlyOnceOptions, type ExactlyOnceOptions } from './exactly-once-options';

/** What a processor did over its life, and why it stopped. */
export interface ExactlyOnceReport extends ExactlyOnceStats {
  /** Set when the processor stopped by itself: a transform failed and there is no deadLetterTopic. */
  readonly error?: RxKafkaError;
}

/**
 * A consume-transform-produce processor whose outputs and input offsets commit in one Kafka transaction
 * per fetched batch (or chunk of `maxBatchRecords`): a read_committed reader of the outputs sees each
 * input's outputs exactly once, across crashes, restarts and rebalances.
 */
export class ExactlyOnceProcessor {
  /** The connection actor: its partition actors, status and transitions, as a server's. */
  readonly connection: KafkaConnection;
  /** Resolves with the report once the processor stopped: close(), or a poison record (`report.error`). */
  readonly done: Promise<ExactlyOnceReport>;

  readonly #member: ExactlyOnceConsumer;
  #resolveDone!: (report: ExactlyOnceReport) => void;
  #closing: Promise<ExactlyOnceReport> | undefined;
  #error: RxKafkaError | undefined;

  constructor(options: ExactlyOnceOptions) {
    const resolved = resolveExactlyOnceOptions(options);
    const clientId = resolved.client.clientId ?? `${resolved.groupId}-exactly-once`;
    const logger = resolved.logger;
    const driver: KafkaDriver = createDriver(resolved.driver, { ...resolved.client, clientId }, logger);
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
    const deadLetterTopic = resolved.deadLetterTopic;
    this.#member = new ExactlyOnceConsumer({
      driver,
      clientId,
      topics: resolved.topics,
      fromBeginning: resolved.fromBeginning,
      consumerSettings: resolved.consumer,
      partitionConcurrency: resolved.partitionConcurrency,
      transactionalIdPrefix: resolved.transactionalIdPrefix,
      producerSettings: resolved.producer,
      settings: {
        ...resolved,
        onTransformFailure: ({
          record,
          error,
          failure,
        }: TransformFailure): readonly TopicRecord[] | 'stop' => {
          if (deadLetterTopic === undefined) return 'stop';
          logger.warn(failure.message, {
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
          });
          return [
            {
              topic: deadLetterTopic,
              record: createDeadLetter(record, { error, attempts: 1, handler: 'transform' }),
            },
          ];
        },
      },
      onPoisonRecord: (error) => {
        this.#error = error;
        logger.error(`${error.message}: the processor stops (set deadLetterTopic to skip such records)`, {
          code: error.code,
          topic: error.context.topic,
          partition: error.context.partition,
        });
        // Not awaited here: close() waits for this very batch to return.
        void this.close();
      },
    });
    this.connection = this.#member.connection;
  }

  /** What the processor did so far. */
  get stats(): ExactlyOnceStats {
    return this.#member.stats;
  }

  /** Connects and joins the group; resolves once partitions are assigned. */
  start(): Promise<void> {
    return this.#member.connect();
  }

  /** Lets running batches finish their transaction, leaves the group, disconnects; returns the report. */
  close(): Promise<ExactlyOnceReport> {
    this.#closing ??= (async () => {
      try {
        await this.#member.close('drain');
      } finally {
        this.#member.dispose();
      }
      const report: ExactlyOnceReport = this.#error ? { ...this.stats, error: this.#error } : this.stats;
      this.#resolveDone(report);
      return report;
    })();
    return this.#closing;
  }
}

/**
 * Starts nothing yet: returns a processor for `options`; call `start()`. Each input record's outputs (what
 * `transform` returns) and its offset commit in one transaction; read the outputs with read_committed.
 * Throws RXK_INVALID_OPTIONS for invalid options.
 */
export function processExactlyOnce(options: ExactlyOnceOptions): ExactlyOnceProcessor {
  return new ExactlyOnceProcessor(options);
}
