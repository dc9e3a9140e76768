/** What a KafkaConnection is built from, and the shapes it hands out. */
import type { FetchedBatch } from '../kafka/fetched-batch';
import type { GroupProtocol, KafkaDriver } from '../kafka/kafka-driver';
import type { FetchedRecord } from '../kafka/kafka-record';
import type { ProduceSettings } from '../kafka/record-producer';
import type { Logger } from '../logger';
import type { PartitionProgressBook } from '../offsets/partition-progress';
import type { PartitionSnapshot } from './partition-machine';
/** A topic → partitions map, as kafkajs GROUP_JOIN reports it. */
export type Assignment = Readonly<Record<string, readonly number[]>>;

/** A group join as the consumer reported it. `generationId` is absent where the driver does not report it. */
export interface GroupJoin {
  readonly assignment: Assignment;
  readonly memberId: string;
  readonly generationId?: number;
}

/** Records the consumer moved past without handing them to a batch, up to and including `lastOffset`. */
export interface SkippedRecords {
  readonly topic: string;
  readonly partition: number;
  readonly lastOffset: string;
}

/** One record as it arrives, before any decoding. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly message: FetchedRecord;
}

export interface KafkaConnectionOptions {
  /** The Kafka client library, through the driver port (kafkajs's adapter, or a fake in specs). */
  readonly driver: KafkaDriver;
  readonly clientId: string;
  readonly logger: Logger;
  /** The user's producer settings (kafkajs `ProducerConfig` shape), for the driver. */
  readonly producerSettings?: unknown;
  /**
   * False for a member that only consumes (a `consume()` stream, the exactly-once member, whose outputs go
   * through producers of their own): its producer is never connected, so it holds no broker connections
   * for nothing. @defaultValue true
   */
  readonly produces?: boolean;
  readonly sendConfig?: ProduceSettings;
  /** Absent for producer-only connections. */
  readonly consumer?: {
    /**
     * Absent: the consumer joins no group and reads every partition of its topics through the driver's
     * `createReader()` (a replay); it commits nothing then.
     */
    readonly groupId?: string;
    /** How the consumer joins its group (KIP-848's `'consumer'` moves single partitions). @defaultValue `'classic'` */
    readonly groupProtocol?: GroupProtocol;
    /** The user's consumer settings (kafkajs `ConsumerConfig` shape), for the driver. */
    readonly librarySettings?: unknown;
    /** The user's run settings (kafkajs `ConsumerRunConfig` shape), for the driver. */
    readonly runSettings?: { readonly autoCommit?: boolean; readonly autoCommitInterval?: number | null };
    /** Join with NestJS's reply partition assignment, keeping these partitions (a client's reply consumer). */
    readonly replyPartitions?: { toPreviousAssignment(): Record<string, number> };
    readonly topics: ReadonlyArray<string | RegExp>;
    readonly fromBeginning?: boolean;
    /** Processes one fetched batch; it owns resolveOffset and heartbeats. */
    readonly eachBatch: (batch: FetchedBatch) => Promise<void>;
  };
  /**
   * The work handed to handlers, which close() settles before the consumer leaves: `finish()` resolves once
   * no batch is running; `abandon()` (close('abandon'), or the drain deadline) stops waiting for them.
   * `regroup()` is told each time the consumer joins a new group generation.
   */
  readonly inFlight?: {
    finish(): Promise<void>;
    abandon(): void;
    regroup?(): void;
  };
  /** Connect attempts before `failed`. @defaultValue 5 */
  readonly maxConnectAttempts?: number;
  /**
   * How long connect() goes on starting attempts before it fails with the last attempt's error (the attempt
   * then running ends first); 0: only `maxConnectAttempts` limits. @defaultValue 10000
   */
  readonly connectTimeoutMs?: number;
  /**
   * Where each partition's records stand; the batch handler may report finished records to it. The
   * connection records batches and commits itself. @defaultValue a book of its own
   */
  readonly progress?: PartitionProgressBook;
}

/** One partition actor as a list shows it. */
export interface PartitionView {
  readonly id: string;
  readonly state: PartitionSnapshot['value'];
  readonly context: PartitionSnapshot['context'];
}
