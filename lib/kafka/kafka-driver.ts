/**
 * The driver port: everything the runtime needs from a Kafka client library, in rxkafka's own types. Its
 * adapters are kafkajs's (lib/kafka/kafkajs/kafkajs-driver.ts, the default) and the platformatic one
 * (lib/kafka/platformatic/platformatic-driver.ts); specs use a fake one. Nothing in the runtime names a
 * library: what one cannot do is a capability or an optional method here.
 *
 * The user's library settings (NestJS's option names, kafkajs-shaped: `consumer`, `run`, `producer`) travel
 * as `librarySettings`, opaque to the runtime: each adapter reads them in its own terms.
 */
import type { FetchedBatch, TopicPartitionOffsets } from './fetched-batch';
import type { OutgoingRecord } from './kafka-record';
import type { ProduceRequest, RecordProducer, WrittenPartition } from './record-producer';

/**
 * What a driver's library does differently from kafkajs, where the connection machine must know it. Each is
 * false for kafkajs.
 */
export interface DriverCapabilities {
  /**
   * The consumer may report its group join after `consume()` resolved; the machine then waits for it in
   * `connecting.joining`. kafkajs joins inside `run()` and reports the join (or its crash) before it resolves.
   */
  readonly joinsAfterConsume: boolean;
  /**
   * The consumer can stop fetching one partition and start again (`DriverConsumer.pause`/`resume`), as retry
   * topics need to wait for a record's due time without holding it. Absent: it cannot.
   */
  readonly pausesPartitions?: boolean;
}

/** A Kafka client library, bound to one cluster and client id. */
export interface KafkaDriver {
  /** How the library differs from kafkajs; absent: every capability the machine allows for (the safe side). */
  readonly capabilities?: DriverCapabilities;
  createProducer(settings: ProducerSettings): DriverProducer;
  createConsumer(settings: ConsumerSettings): DriverConsumer;
  /**
   * A consumer that joins no group: its `consume()` reads every partition of its topics from the positions
   * `seek()` gives (before any, from the start or the end as `fromBeginning` says), reports those partitions
   * as a `group.joined` with an empty member id, and commits nothing. Replay reads through it where the
   * library can fetch by offsets. Absent: a read without a group of its own joins a throwaway one.
   */
  createReader?(settings: ReaderSettings): DriverConsumer;
  /** The end offset ("high watermark") of each partition of `topic`. */
  fetchEndOffsets(topic: string): Promise<Array<{ partition: number; high: string }>>;

  // Replay and projections: reading a topic without a group of one's own, and a compacted snapshot topic.
  /** The start offset ("low watermark": the earliest offset still kept) of each partition of `topic`. */
  fetchStartOffsets(topic: string): Promise<Array<{ partition: number; low: string }>>;
  /**
   * Per partition of `topic`, the first offset whose timestamp is at or after `timestampMs`; the end offset
   * when no record is that late.
   */
  fetchOffsetsAtTime(
    topic: string,
    timestampMs: number,
  ): Promise<Array<{ partition: number; offset: string }>>;
  /** Deletes a consumer group that has no members left (a replay's throwaway group). */
  deleteGroup(groupId: string): Promise<void>;
  /**
   * Creates `topic` with `configs` (e.g. `cleanup.policy: compact`) and `numPartitions` (default 1) unless it
   * exists; true if it created it.
   */
  createTopicIfMissing(
    topic: string,
    configs: Readonly<Record<string, string>>,
    numPartitions?: number,
  ): Promise<boolean>;
  /** The library's own client object (kafkajs's `Kafka`), for `unwrap()`. */
  readonly native: unknown;
  /**
   * What a failed `sendBatch` of one of its producers means for the runtime (see SendErrorKind). Only the
   * adapter knows its library's errors and how it wraps them; the runtime decides on the kind alone.
   */
  classifySendError(error: unknown): SendErrorKind;
  // Transactions (exactly-once processing): see DriverTransactionalProducer below.
  /** A transactional producer with its own transactional id. */
  createTransactionalProducer(settings: TransactionalProducerSettings): DriverTransactionalProducer;
  /**
   * Fails (RXK_NOT_AUTHORIZED) when the cluster's authorizer refuses this client the transactional ids of
   * `transactionalIdPrefix`, so an exactly-once member fails at start rather than at its first batch. Checks
   * with an id of the prefix that no partition's producer uses. Optional: a driver without it checks nothing.
   */
  checkTransactionalIdAccess?(transactionalIdPrefix: string, librarySettings?: unknown): Promise<void>;
  /** The offsets `groupId` has committed for the partitions of `topic` ("the next offset to read"). */
  fetchCommittedOffsets(
    groupId: string,
    topic: string,
  ): Promise<Array<{ partition: number; offset: string }>>;
}

export interface ProducerSettings {
  /** The user's producer settings (kafkajs `ProducerConfig` shape), for the adapter to read. */
  readonly librarySettings?: unknown;
}

/** A producer: sends record batches and says where its partitioner put a record. */
export interface DriverProducer extends RecordProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /**
   * The partition the producer's partitioner chose for `record` when it was last sent, if it remembers:
   * re-sends keep it, and a produce response that leaves the partition out shows the record unwritten.
   */
  partitionOf(record: OutgoingRecord): number | undefined;
  /** Calls `listener` for every event of the producer; returns the function that stops it. */
  onEvent(listener: (event: DriverProducerEvent) => void): () => void;
  /** The library's own producer (kafkajs's `Producer`). */
  readonly native: unknown;
}

/**
 * A failed send, named after what the runtime does with it:
 * - `lost-connection`: no broker could be reached. Every record of the request fails alike and is delivered
 *   again later; sending them one by one would only repeat the library's whole retry schedule for each.
 * - `refused-topic`: Kafka refused the topic itself (it does not exist, its name is invalid, this client may
 *   not write to it). Every record to it fails alike, for good, and the topic is refused for a short while.
 * - `refused-record`: Kafka will never take this record as it is (too large, invalid). It fails for good;
 *   the other records of its request are sent again alone.
 * - `retriable`: anything else. The request's records are sent again one by one, and may succeed.
 */
export type SendErrorKind = 'lost-connection' | 'refused-topic' | 'refused-record' | 'retriable';

/**
 * What happened to a producer, as plain data: `lost` when a send failed because no broker could be reached
 * (the adapter tells that from a refused record; the send's own caller still gets the error).
 */
export type DriverProducerEvent = { readonly type: 'lost'; readonly error: unknown };

/**
 * How a consumer joins its group: `classic`, the join/sync protocol (every rebalance revokes every partition of
 * every member first), or `consumer`, KIP-848's protocol (the broker assigns, and a member joining or leaving
 * moves only the partitions that change owner).
 */
export type GroupProtocol = 'classic' | 'consumer';

export interface ConsumerSettings {
  readonly groupId: string;
  /** @defaultValue `'classic'`; a driver that has only the classic protocol never receives `'consumer'`. */
  readonly groupProtocol?: GroupProtocol;
  /** The user's consumer settings (kafkajs `ConsumerConfig` shape), for the adapter to read. */
  readonly librarySettings?: unknown;
  /**
   * Join the group with NestJS's reply partition assignment protocol (`NestReplyPartitionAssigner`), keeping
   * the partitions this source names: what a request/reply client's reply consumer needs.
   */
  readonly replyPartitions?: { toPreviousAssignment(): Record<string, number> };
}

export interface ReaderSettings {
  /** The user's consumer settings (kafkajs `ConsumerConfig` shape; the group ones unused). */
  readonly librarySettings?: unknown;
}

export interface ConsumeSettings {
  readonly topics: ReadonlyArray<string | RegExp>;
  readonly fromBeginning: boolean;
  /** The user's run settings (kafkajs `ConsumerRunConfig` shape: concurrency, intervals). */
  readonly librarySettings?: unknown;
  /**
   * Handles one fetched batch. The adapter never resolves or commits offsets by itself: the runtime resolves
   * each offset once its record is handled, and commits through `commitOffsets`.
   */
  readonly eachBatch: (batch: FetchedBatch) => Promise<void>;
}

/** What happened to a consumer's group membership, as plain data. */
export type DriverConsumerEvent =
  | {
      readonly type: 'group.joined';
      readonly memberId: string;
      readonly generationId?: number;
      readonly assignment: Readonly<Record<string, readonly number[]>>;
    }
  /**
   * The member's group generation, where the library reports it apart from the join (kafkajs's GROUP_JOIN
   * lacks it; its heartbeats and commits carry it).
   */
  | { readonly type: 'group.generation'; readonly memberId: string; readonly generationId: number }
  | { readonly type: 'rebalancing' }
  /**
   * KIP-848 (`groupProtocol: 'consumer'`): partitions this member now holds besides those it kept, without a
   * rebalance of the others.
   */
  | { readonly type: 'partitions.assigned'; readonly partitions: Readonly<Record<string, readonly number[]>> }
  /**
   * KIP-848: partitions taken from this member while it keeps the others. Their records are no longer
   * handed to `eachBatch`; those already handed over finish.
   */
  | { readonly type: 'partitions.revoked'; readonly partitions: Readonly<Record<string, readonly number[]>> }
  /** The consumer stopped on an error; `restart` tells whether the library restarts it by itself. */
  | { readonly type: 'crashed'; readonly error: unknown; readonly restart: boolean }
  | { readonly type: 'offsets.committed'; readonly offsets: TopicPartitionOffsets }
  /**
   * The consumer moved past records it never handed to `eachBatch`: a fetch that held only transaction
   * markers or aborted records, up to and including `lastOffset`. A reader that waits for an end offset
   * needs it, since a transactional topic's last offset is a commit marker.
   */
  | {
      readonly type: 'records.skipped';
      readonly topic: string;
      readonly partition: number;
      readonly lastOffset: string;
    };

/** A group consumer. */
export interface DriverConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Subscribes and starts fetching; resolves once fetching has started (the join arrives as an event). */
  consume(settings: ConsumeSettings): Promise<void>;
  /** Moves the next fetch of one partition to `offset`. */
  seek(topic: string, partition: number, offset: string): void;
  /**
   * Stops fetching one partition until `resume()`; a batch of it being handled goes on, and its records left
   * unresolved are fetched again after the resume. Present when `capabilities.pausesPartitions` is true.
   */
  pause?(topic: string, partition: number): void;
  /** Fetches a paused partition again, from its first unresolved record. */
  resume?(topic: string, partition: number): void;
  /** Commits offsets now ("the next offset to read"). */
  commitOffsets(offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>): Promise<void>;
  /** Calls `listener` for every membership event; returns the function that stops it. */
  onEvent(listener: (event: DriverConsumerEvent) => void): () => void;
  /** The library's own consumer (kafkajs's `Consumer`). */
  readonly native: unknown;
}

// Transactions (exactly-once processing)

export interface TransactionalProducerSettings {
  /** The transactional id: a new producer with the same id fences every older one. */
  readonly transactionalId: string;
  /** The user's producer settings (kafkajs `ProducerConfig` shape), for the adapter to read. */
  readonly librarySettings?: unknown;
}

/**
 * A producer whose records and consumer offsets commit together or not at all. One transaction at a time.
 * Errors that say a newer producer with the same transactional id took over are `RXK_PRODUCER_FENCED`
 * RxKafkaErrors; the producer is then unusable and is disconnected.
 */
export interface DriverTransactionalProducer {
  readonly transactionalId: string;
  /**
   * Connects and fences every older producer of the same transactional id: once it resolves, none of them
   * can commit, and any transaction they left open is aborted (or finished) at the coordinator.
   */
  connect(): Promise<void>;
  /** Begins a transaction. */
  transaction(): Promise<DriverTransaction>;
  disconnect(): Promise<void>;
  /** The library's own producer (kafkajs's `Producer`). */
  readonly native: unknown;
}

/** One open transaction: records and consumer offsets, then commit or abort. */
export interface DriverTransaction {
  sendBatch(request: ProduceRequest): Promise<WrittenPartition[]>;
  /** Adds `offsets` ("the next offset to read") of `groupId` to the transaction. */
  sendOffsets(groupId: string, offsets: TopicPartitionOffsets): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
