/**
 * The cluster questions the runtime asks (offsets, topics, groups), each on short-lived @platformatic/kafka
 * clients, as the kafkajs adapter does with its admin: the driver has no close of its own. Partition offsets
 * come from a consumer's ListOffsets, which needs no group membership (the group id is never joined).
 */
import type { Admin, Consumer } from '@platformatic/kafka' with { 'resolution-mode': 'import' };
import { RxKafkaError } from '../../errors';
import { requireTopic } from '../topic-not-found';
import { findKafkaErrorName } from './platformatic-errors';
import type { PlatformaticKafka } from './platformatic-library';
import type { PlatformaticBaseOptions } from './platformatic-options';

/** Kafka's ListOffsets timestamps for "the end" and "the start" of a partition. */
const LATEST = -1n;
const EARLIEST = -2n;

const GROUP_NOT_FOUND = new Set(['GROUP_ID_NOT_FOUND']);
const TOPIC_EXISTS = new Set(['TOPIC_ALREADY_EXISTS']);

export class PlatformaticAdmin {
  readonly #library: PlatformaticKafka;
  readonly #base: PlatformaticBaseOptions;

  constructor(library: PlatformaticKafka, base: PlatformaticBaseOptions) {
    this.#library = library;
    this.#base = base;
  }

  /** Per partition of `topic`, the offset Kafka answers for `timestamp` (LATEST, EARLIEST or a time). */
  async listOffsets(topic: string, timestamp: bigint): Promise<Array<{ partition: number; offset: string }>> {
    await this.requireTopic(topic);
    return this.#withOffsetsReader(async (reader) => {
      const offsets = (await reader.listOffsets({ topics: [topic], timestamp })).get(topic) ?? [];
      return offsets.map((offset, partition) => ({ partition, offset: offset.toString() }));
    });
  }

  endOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>> {
    return this.listOffsets(topic, LATEST);
  }

  startOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>> {
    return this.listOffsets(topic, EARLIEST);
  }

  /** Kafka answers -1 where no record is that late; the port wants the end offset there. */
  async offsetsAtTime(
    topic: string,
    timestampMs: number,
  ): Promise<Array<{ partition: number; offset: string }>> {
    const [atTime, ends] = await Promise.all([
      this.listOffsets(topic, BigInt(timestampMs)),
      this.listOffsets(topic, LATEST),
    ]);
    return atTime.map(({ partition, offset }) => ({
      partition,
      offset: offset === '-1' ? (ends.find((end) => end.partition === partition)?.offset ?? offset) : offset,
    }));
  }

  deleteGroup(groupId: string): Promise<void> {
    return this.#withAdmin(async (admin) => {
      try {
        await admin.deleteGroups({ groups: [groupId] });
      } catch (error) {
        // A group that never got as far as joining: nothing to delete.
        if (findKafkaErrorName(error, GROUP_NOT_FOUND)) return;
        throw error;
      }
    });
  }

  createTopicIfMissing(
    topic: string,
    configs: Readonly<Record<string, string>>,
    partitions: number,
  ): Promise<boolean> {
    return this.#withAdmin(async (admin) => {
      if ((await admin.listTopics()).includes(topic)) return false;
      try {
        await admin.createTopics({
          topics: [topic],
          partitions,
          replicas: -1,
          configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
        });
        return true;
      } catch (error) {
        if (findKafkaErrorName(error, TOPIC_EXISTS)) return false;
        throw error;
      }
    });
  }

  committedOffsets(groupId: string, topic: string): Promise<Array<{ partition: number; offset: string }>> {
    return this.#withAdmin(async (admin) => {
      const [group] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
      const partitions = group?.topics.find(({ name }) => name === topic)?.partitions ?? [];
      return partitions.map(({ partitionIndex, committedOffset }) => ({
        partition: partitionIndex,
        offset: committedOffset.toString(),
      }));
    });
  }

  listTopics(): Promise<string[]> {
    return this.#withAdmin((admin) => admin.listTopics());
  }

  /** Rejects with RXK_TOPIC_NOT_FOUND when `topic` does not exist. */
  requireTopic(topic: string): Promise<void> {
    return requireTopic(() => this.listTopics(), topic, this.#base.clientId);
  }

  async #withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = new this.#library.Admin({ ...this.#base });
    try {
      // A topic or group created or emptied a moment ago may answer with a passing error for a while.
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await work(admin);
        } catch (error) {
          if (attempt >= 5 || RxKafkaError.isRxKafkaError(error)) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
        }
      }
    } finally {
      await admin.close().catch(() => undefined);
    }
  }

  async #withOffsetsReader<T>(work: (reader: Consumer) => Promise<T>): Promise<T> {
    const reader = new this.#library.Consumer({
      ...this.#base,
      groupId: `${this.#base.clientId}-offsets`,
    }) as Consumer;
    try {
      return await work(reader);
    } finally {
      await reader.close().catch(() => undefined);
    }
  }
}
