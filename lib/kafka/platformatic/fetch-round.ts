/**
 * One round of the group-less reader's read (platformatic-reader.ts): the topics' metadata, the partitions
 * they gained, then one Fetch per partition leader for every partition not paused, from its position. What
 * the answers hold per partition is read by fetched-partition.ts.
 */
import type { Consumer } from '@platformatic/kafka' with { 'resolution-mode': 'import' };
import type { AbortedTransaction, FetchedRecordsBatch } from './fetched-partition';
import { fromPartitionKey, toPartitionKey } from './partition-keys';

/** The calls of @platformatic/kafka's Consumer a round makes. */
export type FetchingConsumer = Pick<Consumer<Buffer, Buffer, Buffer, Buffer>, 'metadata' | 'fetch'>;

/** What @platformatic/kafka's stream asks per partition by default. */
const DEFAULT_PARTITION_MAX_BYTES = 1_048_576;

/** One partition's request in a Fetch, with what it was asked at. */
export interface PartitionRequest {
  readonly topic: string;
  readonly partition: number;
  readonly from: bigint;
  readonly seeks: number;
}

/** One partition's part of a Fetch's answer, with the request it answers. */
export interface FetchedPart {
  readonly request: PartitionRequest;
  readonly batches: readonly FetchedRecordsBatch[] | undefined;
  readonly highWatermark: bigint;
  /** The aborted transactions the broker listed for it (read_committed). */
  readonly aborted: readonly AbortedTransaction[];
}

/** The reader's state a round reads, and the positions it adds. */
export interface ReadState {
  readonly topics: readonly string[];
  /** Per partition key, the next offset to fetch. */
  readonly positions: Map<string, bigint>;
  readonly paused: ReadonlySet<string>;
  /** The bytes asked per partition. @defaultValue DEFAULT_PARTITION_MAX_BYTES */
  readonly maxBytesPerPartition: number | undefined;
  seeksOf(topic: string, partition: number): number;
  /** How far to turn this round's request order (a new number each round). */
  nextRotation(): number;
  /** The partitions the topics gained, already in `positions`: called before they are fetched. */
  addPartitions(gained: ReadonlyArray<{ topic: string; partition: number }>): void;
}

/**
 * One Fetch per partition leader, for every partition not paused; their parts of the answers (undefined:
 * nothing to ask). Partitions the topics gained are read too, from their start.
 */
export async function fetchRound(
  native: FetchingConsumer,
  read: ReadState,
): Promise<FetchedPart[] | undefined> {
  const metadata = await native.metadata({ topics: [...read.topics] });
  // Before the fetch, as a group member's new partitions come with a join before their records.
  const gained = addNewPartitions(read, metadata);
  if (gained.length > 0) read.addPartitions(gained);
  const requests = rotate(
    [...read.positions]
      .filter(([key]) => !read.paused.has(key))
      .map(([key, from]): PartitionRequest => {
        const { topic, partition } = fromPartitionKey(key);
        return { topic, partition, from, seeks: read.seeksOf(topic, partition) };
      }),
    read.nextRotation(),
  );
  if (requests.length === 0) return undefined;
  const topics = [...new Set(requests.map(({ topic }) => topic))];
  const byLeader = new Map<number, PartitionRequest[]>();
  for (const request of requests) {
    const leader = metadata.topics.get(request.topic)?.partitions[request.partition]?.leader;
    if (leader === undefined || leader < 0) continue;
    byLeader.set(leader, [...(byLeader.get(leader) ?? []), request]);
  }
  // A leader being elected: retried as a failed fetch.
  if (byLeader.size < 1) throw new Error(`no partition of ${topics.join(', ')} has a leader now`);
  const partitionMaxBytes = read.maxBytesPerPartition ?? DEFAULT_PARTITION_MAX_BYTES;
  const answers = await Promise.all(
    [...byLeader].map(async ([node, asked]) => {
      const topicIds = new Map<string, string>();
      const perTopic = new Map<string, PartitionRequest[]>();
      for (const request of asked) {
        topicIds.set(metadata.topics.get(request.topic)!.id, request.topic);
        perTopic.set(request.topic, [...(perTopic.get(request.topic) ?? []), request]);
      }
      const response = await native.fetch({
        node,
        topics: [...perTopic].map(([topic, partitions]) => ({
          topicId: metadata.topics.get(topic)!.id,
          partitions: partitions.map(({ partition, from }) => ({
            partition,
            fetchOffset: from,
            partitionMaxBytes,
            currentLeaderEpoch: -1,
            lastFetchedEpoch: -1,
          })),
        })),
      });
      return response.responses.flatMap((topicResponse) =>
        topicResponse.partitions.flatMap((part): FetchedPart[] => {
          const topic = topicIds.get(topicResponse.topicId) ?? '';
          const request = perTopic.get(topic)?.find(({ partition }) => partition === part.partitionIndex);
          if (!request) return [];
          return [
            {
              request,
              batches: part.records,
              highWatermark: part.highWatermark,
              aborted: part.abortedTransactions,
            },
          ];
        }),
      );
    }),
  );
  return answers.flat();
}

/** Partitions the topics gained since the read began, each put in `read.positions` from its start. */
function addNewPartitions(
  read: ReadState,
  metadata: { topics: ReadonlyMap<string, { partitionsCount: number }> },
): Array<{ topic: string; partition: number }> {
  const gained: Array<{ topic: string; partition: number }> = [];
  for (const topic of read.topics) {
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    for (let partition = 0; partition < count; partition += 1) {
      const key = toPartitionKey(topic, partition);
      if (read.positions.has(key)) continue;
      // Created after the read began: all of it is new. A start moved by retention meanwhile is an
      // out-of-range fetch, moved up to it.
      read.positions.set(key, 0n);
      gained.push({ topic, partition });
    }
  }
  return gained;
}

/** `items` turned left by `by` places. */
function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const at = by % items.length;
  return [...items.slice(at), ...items.slice(0, at)];
}
