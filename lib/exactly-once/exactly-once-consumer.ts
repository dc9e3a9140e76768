/**
 * A consumer group member whose every batch commits through transactions: its connection actor, the
 * per-partition transactional producers and the batch logic, wired once for `processExactlyOnce()` and for
 * the server's exactly-once handlers.
 */
import type { Subscription } from 'rxjs';
import type { DrainMode } from '../connection/connection-events';
import type { KafkaConnection } from '../connection/kafka-connection';
import { createKafkaConnection } from '../connection/create-kafka-connection';
import { PartitionProducers } from './partition-producers';
import { PartitionProgressBook } from '../offsets/partition-progress';
import type { RxKafkaError } from '../errors';
import type { KafkaDriver } from '../kafka/kafka-driver';
import { createKafkaTracing } from '../tracing/kafka-tracing';
import { ExactlyOnceBatches } from './exactly-once-batches';
import type { ExactlyOnceSettings, ExactlyOnceStats } from './exactly-once-settings';

export interface ExactlyOnceConsumerOptions {
  readonly driver: KafkaDriver;
  readonly clientId: string;
  readonly topics: ReadonlyArray<string | RegExp>;
  readonly fromBeginning: boolean;
  /** The user's consumer settings (kafkajs `ConsumerConfig` shape); must read committed records only. */
  readonly consumerSettings: unknown;
  /** Partitions processed at once (kafkajs `partitionsConsumedConcurrently`). */
  readonly partitionConcurrency: number;
  /** Each input partition's producer is `${prefix}-${topic}-${partition}`. */
  readonly transactionalIdPrefix: string;
  /** The user's producer settings of the transactional producers (kafkajs `ProducerConfig` shape). */
  readonly producerSettings: unknown;
  /** The group, transform and failure policy (its `logger` is the member's). */
  readonly settings: ExactlyOnceSettings;
  /** Called once when the failure policy says `'stop'`; the owner decides what stopping means. */
  readonly onPoisonRecord: (error: RxKafkaError) => void;
}

export class ExactlyOnceConsumer {
  /** The connection actor: its partition actors, status and transitions, as a server's. */
  readonly connection: KafkaConnection;
  readonly #batches: ExactlyOnceBatches;
  readonly #producers: PartitionProducers;
  readonly #options: ExactlyOnceConsumerOptions;
  readonly #joins: Subscription;

  constructor(options: ExactlyOnceConsumerOptions) {
    const { driver, settings } = options;
    this.#options = options;
    const logger = settings.logger;
    this.#producers = new PartitionProducers(
      driver,
      options.transactionalIdPrefix,
      options.producerSettings,
      logger,
    );
    const progress = new PartitionProgressBook();
    const batches: ExactlyOnceBatches = new ExactlyOnceBatches({
      options: settings,
      driver,
      producers: this.#producers,
      dispatchMode: () => connection.dispatchMode,
      seek: (topic, partition, offset) => connection.seek(topic, partition, offset),
      progress,
      onPoisonRecord: options.onPoisonRecord,
      onCommitted: (offsets) => connection.recordCommitted(offsets),
      tracing: createKafkaTracing({ clientId: options.clientId, groupId: settings.groupId }, logger),
    });
    // Offsets commit only inside the transactions: the connection's committer stays off, and the adapter
    // never lets kafkajs commit (autoCommit: false, eachBatchAutoResolve: false).
    const runSettings = { autoCommit: false, partitionsConsumedConcurrently: options.partitionConcurrency };
    const connection: KafkaConnection = createKafkaConnection(
      {
        driver,
        clientId: options.clientId,
        logger,
        groupId: settings.groupId,
        consumerConfig: options.consumerSettings,
      },
      {
        kind: 'consumer',
        runSettings,
        topics: options.topics,
        fromBeginning: options.fromBeginning,
        eachBatch: batches.eachBatch,
        inFlight: { finish: () => batches.finish(), abandon: () => batches.abandon() },
        progress,
        produces: false,
      },
    );
    // Each join, not each assignment change: a rejoin with the same partitions still means the partition may
    // have had another owner meanwhile, so its producer is made (and fences) anew.
    this.#joins = connection.joins$.subscribe(({ assignment }) => this.#producers.reassigned(assignment));
    this.connection = connection;
    this.#batches = batches;
  }

  /** What the member did so far. */
  get stats(): ExactlyOnceStats {
    return this.#batches.stats;
  }

  /**
   * Checks that the transactional ids are authorized, connects and joins the group; resolves once partitions
   * are assigned. Again after close(): rejoins.
   */
  async connect(): Promise<void> {
    const { driver, transactionalIdPrefix, producerSettings } = this.#options;
    await driver.checkTransactionalIdAccess?.(transactionalIdPrefix, producerSettings);
    return this.connection.connect();
  }

  /**
   * Lets running batches finish their transaction (or, abandoning, commit nothing more), leaves the group
   * and disconnects the producers.
   */
  async close(
    mode: DrainMode = 'drain',
    deadlineMs?: number,
  ): Promise<{ mode: DrainMode; timedOut: boolean }> {
    try {
      return await this.connection.close(mode, deadlineMs);
    } finally {
      await this.#producers.closeAll();
    }
  }

  /** Stops the actor for good (after close()). */
  dispose(): void {
    this.#joins.unsubscribe();
    this.connection.dispose();
  }
}
