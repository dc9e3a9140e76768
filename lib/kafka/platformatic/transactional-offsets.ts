/**
 * A consumer group's offsets committed inside a transaction of @platformatic/kafka, without a Consumer.
 *
 * Why not the library's own `Transaction.addOffset(message)`: it takes one consumed message at a time, reads
 * the group's generation, member id and coordinator from that message's consumer, and commits
 * `message.offset + 1`. The exactly-once runtime has no live @platformatic/kafka Consumer to give it (its
 * producers are per input partition, apart from the consumer), and commits offsets as "the next offset to
 * read". So this sends Kafka's TxnOffsetCommit itself, through the library's exported API functions and
 * the producer's own connections: generation -1 and an empty member id, which the group coordinator takes
 * from a transactional producer without group metadata (what kafkajs's TxnOffsetCommit v0 sends; the
 * per-partition transactional id is what fences a zombie here, not the generation). The group must be added
 * to the transaction first (AddOffsetsToTxn: `Transaction.addConsumer`).
 */
import type { TopicPartitionOffsets } from '../fetched-batch';
import type { NativeProducer } from './partition-placement';
import type { PlatformaticKafka } from './platformatic-library';
import { findKafkaErrorName, walkPlatformaticErrors } from './platformatic-errors';

/** The producer's side of a TxnOffsetCommit: who commits, in which epoch. */
export interface TransactionalCommitter {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

/** How often and how long a TxnOffsetCommit is sent again after a retriable error. */
export interface OffsetCommitRetry {
  /** @defaultValue 20 (doubling up to 1 s) */
  readonly firstDelayMs: number;
  /** @defaultValue 10_000 */
  readonly forMs: number;
}

export const OFFSET_COMMIT_RETRY: OffsetCommitRetry = Object.freeze({ firstDelayMs: 20, forMs: 10_000 });

/** The answers after which the group coordinator is looked up again: it moved, or is not ready. */
const COORDINATOR_MOVED: ReadonlySet<string> = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE']);

/** FindCoordinator's key type of a consumer group. */
const GROUP_KEY_TYPE = 0;

/** Kafka's "no leader epoch known": the coordinator then checks none. */
const NO_LEADER_EPOCH = -1;

/** A generation id and member id that say "no group membership" (a standalone transactional producer). */
const NO_GENERATION = -1;
const NO_MEMBER = '';

type Api = (connection: unknown, ...args: unknown[]) => void;
interface ApiModule {
  readonly api: Api & { readonly async: (connection: unknown, ...args: unknown[]) => Promise<unknown> };
}

/** The TxnOffsetCommit and FindCoordinator versions this adapter sends, newest first. */
const TXN_OFFSET_COMMIT_VERSIONS = [4, 3] as const;
const FIND_COORDINATOR_VERSIONS = [6, 5, 4] as const;

export class TransactionalOffsets {
  readonly #library: PlatformaticKafka;
  readonly #producer: NativeProducer;
  readonly #retry: OffsetCommitRetry;
  /** Each group's coordinator node, as last looked up. */
  readonly #coordinators = new Map<string, number>();
  #apis: Promise<{ txnOffsetCommit: ApiModule; findCoordinator: ApiModule }> | undefined;

  constructor(library: PlatformaticKafka, producer: NativeProducer, retry = OFFSET_COMMIT_RETRY) {
    this.#library = library;
    this.#producer = producer;
    this.#retry = retry;
  }

  /**
   * Commits `offsets` ("the next offset to read") of `groupId` in the producer's open transaction, all in one
   * request. Retriable answers (the coordinator moved or is loading, a concurrent transaction, a lost
   * connection) are sent again for up to `forMs`; anything else is thrown as the library raised it.
   */
  async commit(
    committer: TransactionalCommitter,
    groupId: string,
    offsets: TopicPartitionOffsets,
  ): Promise<void> {
    const topics = offsets.topics.map(({ topic, partitions }) => ({
      name: topic,
      partitions: partitions.map(({ partition, offset }) => ({
        partitionIndex: partition,
        committedOffset: BigInt(offset),
        committedLeaderEpoch: NO_LEADER_EPOCH,
        committedMetadata: null,
      })),
    }));
    if (topics.every(({ partitions }) => partitions.length === 0)) return;
    const deadline = Date.now() + this.#retry.forMs;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const { txnOffsetCommit } = await this.#chosenApis();
        const connection = await this.#connectionTo(await this.#coordinatorOf(groupId));
        await txnOffsetCommit.api.async(
          connection,
          committer.transactionalId,
          groupId,
          committer.producerId,
          committer.producerEpoch,
          NO_GENERATION,
          NO_MEMBER,
          null,
          topics,
        );
        return;
      } catch (error) {
        if (findKafkaErrorName(error, COORDINATOR_MOVED)) this.#coordinators.delete(groupId);
        const delayMs = Math.min(1_000, this.#retry.firstDelayMs * 2 ** attempt);
        if (!isRetriable(error) || Date.now() + delayMs > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /** The group's coordinator node, asked of the broker the producer already talks to. */
  async #coordinatorOf(groupId: string): Promise<number> {
    const known = this.#coordinators.get(groupId);
    if (known !== undefined) return known;
    const { findCoordinator } = await this.#chosenApis();
    const any = this.#producer.coordinatorId;
    const connection = await this.#connectionTo(any);
    const response = (await findCoordinator.api.async(connection, GROUP_KEY_TYPE, [groupId])) as {
      coordinators: Array<{ key: string; nodeId: number }>;
    };
    const found = response.coordinators.find(({ key }) => key === groupId);
    if (!found) throw new Error(`FindCoordinator named no coordinator for the group ${groupId}`);
    this.#coordinators.set(groupId, found.nodeId);
    return found.nodeId;
  }

  /** A connection to `nodeId` from the producer's pool (any broker when undefined); metadata refreshed once. */
  async #connectionTo(nodeId: number | undefined): Promise<unknown> {
    const nodes = nodeId === undefined ? null : [nodeId];
    let connections = await this.#producer.connectToBrokers(nodes);
    if (nodeId !== undefined && !connections.has(nodeId)) {
      // A broker the producer's metadata does not list yet (it joined since): ask the cluster again.
      await this.#producer.metadata({ topics: [], forceUpdate: true });
      connections = await this.#producer.connectToBrokers(nodes);
    }
    const connection = nodeId === undefined ? connections.values().next().value : connections.get(nodeId);
    if (connection === undefined) throw new Error(`no connection to the broker ${nodeId ?? '(any)'}`);
    return connection;
  }

  /** The newest versions of TxnOffsetCommit and FindCoordinator both this library and the cluster speak. */
  #chosenApis(): Promise<{ txnOffsetCommit: ApiModule; findCoordinator: ApiModule }> {
    this.#apis ??= this.#producer.listApis().then((apis) => ({
      txnOffsetCommit: this.#choose(apis, 'TxnOffsetCommit', 'txnOffsetCommit', TXN_OFFSET_COMMIT_VERSIONS),
      findCoordinator: this.#choose(apis, 'FindCoordinator', 'findCoordinator', FIND_COORDINATOR_VERSIONS),
    }));
    // A failed lookup is asked again next time.
    this.#apis.catch(() => (this.#apis = undefined));
    return this.#apis;
  }

  #choose(
    apis: ReadonlyArray<{ name: string; minVersion: number; maxVersion: number }>,
    name: string,
    exportPrefix: string,
    versions: readonly number[],
  ): ApiModule {
    const range = apis.find((api) => api.name === name);
    const version = versions.find((v) => range && v >= range.minVersion && v <= range.maxVersion);
    const module =
      version === undefined
        ? undefined
        : (this.#library as unknown as Record<string, unknown>)[`${exportPrefix}V${version}`];
    if (module === undefined) {
      const spoken = range ? `${range.minVersion} to ${range.maxVersion}` : 'none';
      throw new Error(
        `the cluster speaks ${name} versions ${spoken}, none of which this adapter sends (${versions.join(', ')})`,
      );
    }
    return module as ApiModule;
  }
}

/** As the library decides for its own retries: nothing in the error is marked `canRetry: false`. */
function isRetriable(error: unknown): boolean {
  let any = false;
  for (const link of walkPlatformaticErrors(error) as Iterable<{ canRetry?: unknown }>) {
    if (link.canRetry === false) return false;
    if (link.canRetry === true) any = true;
  }
  return any;
}
