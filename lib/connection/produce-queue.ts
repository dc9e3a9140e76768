import type { OutgoingRecord } from '../kafka/kafka-record';
import { toEncodableMessage } from './encodable-message';
import type { ProduceSettings, RecordProducer, WrittenPartition } from '../kafka/record-producer';
import { RxKafkaError } from '../errors';
import type { MessagingMetrics } from '../diagnostics/messaging-metrics';
import { RefusedTopics } from './refused-topics';
import type { SendErrorKind } from '../kafka/kafka-driver';
import { createUnwrittenError, toSendFailure } from './send-failures';
import { ProduceLane, type QueuedMessages, type SendFailure } from './produce-lane';
import {
  createNoOffsetError,
  toWrittenOffsets,
  toWrittenPartitions,
  type WrittenOffset,
} from './written-offsets';

export interface ProduceQueueOptions {
  /** Records each produce request by the OpenTelemetry messaging conventions; absent without a meter provider. */
  readonly metrics?: MessagingMetrics;
  /** What a failed send means (the driver's `classifySendError`): the queue decides on the kind alone. */
  readonly classifySendError: (error: unknown) => SendErrorKind;
  /** Spread into every send (acks, timeout, compression): NestJS's `send` option. */
  readonly sendConfig?: ProduceSettings;
  /** Most messages in one produce request. @defaultValue 2000 */
  readonly maxBatchMessages?: number;
  /**
   * The partition the producer's partitioner chose for a message (see PartitionRecorder). With it, a
   * message without an explicit partition also counts as written only if the response names its partition.
   */
  readonly partitionOf?: (message: OutgoingRecord) => number | undefined;
}

/** How one send may end early. */
export interface SendOptions {
  /**
   * While `topic` has not accepted a write from this queue (a new topic, or one whose last send failed),
   * give the send up after this long, as refused for good, and refuse the topic's records for a short
   * while (see RefusedTopics): kafkajs takes its whole retry schedule to give up on an unknown topic.
   * A topic that took writes is waited for as long as the producer retries. With this option (0 included:
   * no bound of its own), the send also fails at once while its topic is refused; records sent without it
   * (dead letters, a client's records) always get Kafka's own answer.
   */
  readonly unprovenTimeoutMs?: number;
}

/**
 * Batches produce calls like a database group commit: while one `sendBatch` is in flight, everything queued
 * waits and then leaves together in the next one. A lone message is sent at once (no linger, so request
 * latency does not suffer), and under load each request carries many messages instead of one each
 * (NestJS sends every reply with its own produce call). One request in flight at a time also keeps the
 * order of messages to the same partition, which streamed replies rely on.
 *
 * A topic joins that shared batch once a send to it has succeeded. Until then (a new topic, or one whose
 * last send failed) its messages travel in a lane of their own, beside the shared batch and in order: a
 * topic that does not exist (a garbage `kafka_replyTopic`) takes kafkajs's whole retry schedule, about 12 s
 * by default, to fail, and must not hold every other reply for that long. A reply may also bound its own
 * wait there (SendOptions), and a topic refused as a whole is remembered briefly (RefusedTopics).
 */
export class ProduceQueue {
  readonly #producer: RecordProducer;
  readonly #sendConfig: ProduceSettings;
  readonly #maxBatchMessages: number;
  readonly #partitionOf: (message: OutgoingRecord) => number | undefined;
  readonly #classifySendError: (error: unknown) => SendErrorKind;
  readonly #metrics: MessagingMetrics | undefined;
  readonly #shared: ProduceLane;
  /** Lanes of topics not proven yet, by topic; a lane leaves the map once it is empty. */
  readonly #lanes = new Map<string, ProduceLane>();
  /** Topics a send succeeded to, and not failed since. */
  readonly #proven = new Set<string>();
  readonly #refused = new RefusedTopics();
  #sentMessages = 0;

  constructor(producer: RecordProducer, options: ProduceQueueOptions) {
    this.#producer = producer;
    this.#classifySendError = options.classifySendError;
    this.#metrics = options.metrics;
    this.#sendConfig = options.sendConfig ?? {};
    this.#maxBatchMessages = options.maxBatchMessages ?? 2000;
    this.#partitionOf = options.partitionOf ?? (() => undefined);
    this.#shared = this.#createLane();
  }

  /** Messages written to Kafka (acknowledged per `acks`) since creation. */
  get sentMessages(): number {
    return this.#sentMessages;
  }

  /**
   * Resolves once the messages are acknowledged; rejects with RXK_SEND_FAILED, `retriable` unless Kafka
   * refused for good (no such topic or partition, a record too large).
   */
  send(topic: string, messages: OutgoingRecord[], options: SendOptions = {}): Promise<void> {
    return this.#enqueue(
      topic,
      messages,
      false,
      options.unprovenTimeoutMs,
    ) as Promise<unknown> as Promise<void>;
  }

  /** True while records to `topic` are refused without a try (it was refused, or took no write in time). */
  refuses(topic: string): boolean {
    return this.#refused.refusalOf(topic) !== undefined;
  }

  /**
   * As send(), resolving with where each message was written, in the order given (see toWrittenOffsets).
   * Rejects with RXK_SEND_FAILED when Kafka answered no offset (`acks: 0`).
   */
  sendForOffsets(topic: string, messages: OutgoingRecord[]): Promise<WrittenOffset[]> {
    return this.#enqueue(topic, messages, true);
  }

  #enqueue(
    topic: string,
    messages: OutgoingRecord[],
    wantsOffsets: boolean,
    unprovenTimeoutMs?: number,
  ): Promise<WrittenOffset[]> {
    if (messages.length === 0) return Promise.resolve([]);
    const refusable = unprovenTimeoutMs !== undefined;
    const refusal = refusable ? this.#refused.refusalOf(topic) : undefined;
    if (refusal !== undefined) return Promise.reject(refusal);
    const encodable = messages.map(toEncodableMessage);
    return new Promise<WrittenOffset[] | undefined>((resolve, reject) => {
      if (unprovenTimeoutMs === undefined || unprovenTimeoutMs <= 0 || this.#proven.has(topic)) {
        this.#laneOf(topic).push({ topic, messages: encodable, resolve, reject, wantsOffsets, refusable });
        return;
      }
      const timer = setTimeout(() => this.#giveUp(topic, unprovenTimeoutMs, reject), unprovenTimeoutMs);
      this.#laneOf(topic).push({
        topic,
        messages: encodable,
        resolve: (offsets) => {
          clearTimeout(timer);
          resolve(offsets);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
        wantsOffsets,
        refusable,
      });
    }) as Promise<WrittenOffset[]>;
  }

  /**
   * A send to a topic that never took a write got no answer in time: it is given up as refused, and so is
   * every refusable send (a reply) to the topic for a short while, those queued behind it included.
   */
  #giveUp(topic: string, timeoutMs: number, reject: (error: unknown) => void): void {
    if (this.#proven.has(topic)) return;
    const error = new RxKafkaError(
      'RXK_SEND_FAILED',
      `producing to ${topic} failed: it has never accepted a write from this producer and did not within ` +
        `${timeoutMs} ms (a topic that does not exist, or that this client may not write to?); records to ` +
        `it are refused for the next ${this.#refused.ttlMs} ms`,
      { topic, retriable: false },
    );
    this.#refused.refuse(topic, error);
    reject(error);
    this.#lanes.get(topic)?.rejectQueued(topic, error);
  }

  /** Resolves when everything queued so far has been sent (or has failed). */
  async flush(): Promise<void> {
    while (this.#shared.busy || this.#lanes.size > 0) {
      await Promise.all([this.#shared.idle(), ...[...this.#lanes.values()].map((lane) => lane.idle())]);
    }
  }

  // A topic's messages are in one lane at a time (its own, or the shared one while it holds some of them),
  // so their order holds when the topic moves between lanes.
  #laneOf(topic: string): ProduceLane {
    const own = this.#lanes.get(topic);
    if (own) return own;
    if (this.#proven.has(topic) || this.#shared.holds(topic)) return this.#shared;
    const lane = this.#createLane(() => this.#lanes.delete(topic));
    this.#lanes.set(topic, lane);
    return lane;
  }

  /** One produce request is one `send` operation per topic it wrote to. */
  #recordSent(
    topicMessages: ReadonlyArray<{ topic: string; messages: OutgoingRecord[] }>,
    startedAt: number,
    error?: unknown,
  ): void {
    if (!this.#metrics) return;
    const seconds = (performance.now() - startedAt) / 1_000;
    for (const { topic, messages } of topicMessages)
      this.#metrics.sent(topic, messages.length, seconds, error);
  }

  #createLane(onIdle?: () => void): ProduceLane {
    return new ProduceLane({
      maxBatchMessages: this.#maxBatchMessages,
      refusalOf: (topic) => this.#refused.refusalOf(topic),
      sendTogether: (batch) => this.#sendTogether(batch),
      onIdle,
    });
  }

  /**
   * Sends the entries in one request and resolves those it wrote; returns the others (narrowed to their
   * unwritten messages when kafkajs skipped a partition), and why.
   */
  async #sendTogether(batch: readonly QueuedMessages[]): Promise<SendFailure | undefined> {
    let written: WrittenPartition[] | void;
    const topicMessages = groupByTopic(batch);
    const startedAt = this.#metrics ? performance.now() : 0;
    try {
      written = await this.#producer.sendBatch({ ...this.#sendConfig, topicMessages });
      this.#recordSent(topicMessages, startedAt);
    } catch (error) {
      this.#recordSent(topicMessages, startedAt, error);
      const topics = new Set(batch.map((entry) => entry.topic));
      for (const topic of topics) this.#proven.delete(topic);
      const kind = this.#classifySendError(error);
      // One topic Kafka refuses as a whole (no such topic, not authorized): its next records fail at once.
      if (topics.size === 1 && kind === 'refused-topic') {
        this.#refused.refuse(
          batch[0].topic,
          toSendFailure(
            batch.map((entry) => entry.topic),
            error,
            kind,
          ),
        );
      }
      return { error, kind, entries: batch, resend: false };
    }
    // With acks 0 Kafka answers nothing, so there is nothing to check.
    const response = Array.isArray(written) && this.#sendConfig.acks !== 0 ? written : undefined;
    const failed: QueuedMessages[] = [];
    let error: RxKafkaError | undefined;
    let resend = true;
    const writtenPartitions = response ? toWrittenPartitions(response) : undefined;
    const offsets = batch.some((entry) => entry.wantsOffsets)
      ? toWrittenOffsets(batch, response, this.#partitionOf)
      : undefined;
    for (const [index, entry] of batch.entries()) {
      const unwritten = writtenPartitions ? this.#findUnwritten(entry, writtenPartitions) : [];
      this.#sentMessages += entry.messages.length - unwritten.length;
      if (unwritten.length === 0) {
        this.#proven.add(entry.topic);
        this.#refused.accept(entry.topic);
        const written = offsets?.[index];
        if (entry.wantsOffsets && !written) entry.reject(createNoOffsetError(entry.topic));
        else entry.resolve(written);
        continue;
      }
      // A partition that does not exist is final; a partition kafkajs skipped is worth one more try.
      const worst = unwritten.find(({ isExplicit }) => isExplicit) ?? unwritten[0];
      error ??= createUnwrittenError(entry.topic, worst.partition, worst.isExplicit);
      resend &&= !worst.isExplicit;
      failed.push(worst.isExplicit ? entry : { ...entry, messages: unwritten.map(({ message }) => message) });
    }
    return error ? { error, kind: 'retriable', entries: failed, resend } : undefined;
  }

  /**
   * The entry's messages whose partition the produce response does not name: nothing was written there.
   * kafkajs drops a message addressed to a partition its metadata lacks, and loses the messages of a leader
   * that died mid-request (see PartitionRecorder); both times it reports success.
   */
  #findUnwritten(
    entry: QueuedMessages,
    written: ReadonlyMap<string, ReadonlySet<number>>,
  ): Array<{ message: OutgoingRecord; partition: number; isExplicit: boolean }> {
    const unwritten: Array<{ message: OutgoingRecord; partition: number; isExplicit: boolean }> = [];
    const partitions = written.get(entry.topic);
    for (const message of entry.messages) {
      const isExplicit = message.partition !== undefined && message.partition !== null;
      const partition = isExplicit ? message.partition : this.#partitionOf(message);
      if (partition === undefined) continue;
      if (!partitions?.has(partition)) unwritten.push({ message, partition, isExplicit });
    }
    return unwritten;
  }
}

function groupByTopic(
  batch: readonly QueuedMessages[],
): Array<{ topic: string; messages: OutgoingRecord[] }> {
  const byTopic = new Map<string, OutgoingRecord[]>();
  for (const entry of batch) {
    const messages = byTopic.get(entry.topic);
    if (messages) messages.push(...entry.messages);
    else byTopic.set(entry.topic, [...entry.messages]);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
