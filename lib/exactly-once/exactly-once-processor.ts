/**
 * Exactly-once consume-transform-produce: `processExactlyOnce()` and the processor it returns.
 */
import { KafkaConnection } from '../connection/kafka-connection';
import { PartitionProgressBook } from '../delivery/partition-progress';
import type { RxKafkaError } from '../errors';
import type { KafkaDriver } from '../kafka/kafka-driver';
import { createKafkajsDriver } from '../kafka/kafkajs/kafkajs-driver';
import { resolveExactlyOnceOptions, type ExactlyOnceOptions } from './exactly-once-options';
import { PartitionProducers } from './partition-producers';
import { TransactionalBatches, type ExactlyOnceStats } from './transactional-batches';

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

  readonly #batches: TransactionalBatches;
  readonly #producers: PartitionProducers;
  #resolveDone!: (report: ExactlyOnceReport) => void;
  #closing: Promise<ExactlyOnceReport> | undefined;
  #error: RxKafkaError | undefined;

  constructor(options: ExactlyOnceOptions) {
    const resolved = resolveExactlyOnceOptions(options);
    const clientId = resolved.client.clientId ?? `${resolved.groupId}-exactly-once`;
    const logger = resolved.logger;
    const driver: KafkaDriver =
      resolved.driver ?? createKafkajsDriver({ ...resolved.client, clientId }, logger);
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
    this.#producers = new PartitionProducers(
      driver,
      resolved.transactionalIdPrefix,
      resolved.producer,
      logger,
    );
    const progress = new PartitionProgressBook();
    const batches: TransactionalBatches = new TransactionalBatches({
      options: resolved,
      driver,
      producers: this.#producers,
      dispatchMode: () => connection.dispatchMode,
      seek: (topic, partition, offset) => connection.seek(topic, partition, offset),
      progress,
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
    // Offsets commit only inside the transactions: the connection's committer stays off, and the adapter
    // never lets kafkajs commit (autoCommit: false, eachBatchAutoResolve: false).
    const runSettings = { autoCommit: false, partitionsConsumedConcurrently: resolved.partitionConcurrency };
    const connection: KafkaConnection = new KafkaConnection({
      driver,
      clientId,
      logger,
      consumer: {
        groupId: resolved.groupId,
        librarySettings: resolved.consumer,
        runSettings,
        topics: resolved.topics,
        fromBeginning: resolved.fromBeginning,
        eachBatch: batches.eachBatch,
      },
      inFlight: { finish: () => batches.finish(), abandon: () => batches.abandon() },
      progress,
    });
    connection.onConsumerEvent((event) => {
      if (event.type === 'group.joined') this.#producers.reassigned(event.assignment);
    });
    this.connection = connection;
    this.#batches = batches;
  }

  /** What the processor did so far. */
  get stats(): ExactlyOnceStats {
    return this.#batches.stats;
  }

  /** Connects and joins the group; resolves once partitions are assigned. */
  start(): Promise<void> {
    return this.connection.connect();
  }

  /** Lets running batches finish their transaction, leaves the group, disconnects; returns the report. */
  close(): Promise<ExactlyOnceReport> {
    this.#closing ??= (async () => {
      try {
        await this.connection.close('drain');
      } finally {
        await this.#producers.closeAll();
        this.connection.dispose();
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
