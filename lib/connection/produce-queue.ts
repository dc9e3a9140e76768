import type { Message, Producer, ProducerRecord } from 'kafkajs';
import { RxKafkaError } from '../errors';

interface QueuedMessages {
  readonly topic: string;
  readonly messages: Message[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export interface ProduceQueueOptions {
  /** Spread into every send (acks, timeout, compression): NestJS's `send` option. */
  readonly sendConfig?: Omit<ProducerRecord, 'topic' | 'messages'>;
  /** Most messages in one produce request. @defaultValue 2000 */
  readonly maxBatchMessages?: number;
}

/**
 * Batches produce calls like a database group commit: while one `sendBatch` is in flight, everything queued
 * waits and then leaves together in the next one. A lone message is sent at once (no linger, so request
 * latency does not suffer), and under load each request carries many messages instead of one each
 * (NestJS sends every reply with its own produce call). One request in flight at a time also keeps the
 * order of messages to the same partition, which streamed replies rely on.
 */
export class ProduceQueue {
  readonly #producer: Producer;
  readonly #sendConfig: Omit<ProducerRecord, 'topic' | 'messages'>;
  readonly #maxBatchMessages: number;
  #queue: QueuedMessages[] = [];
  #sending: Promise<void> | undefined;
  #sentMessages = 0;

  constructor(producer: Producer, options: ProduceQueueOptions = {}) {
    this.#producer = producer;
    this.#sendConfig = options.sendConfig ?? {};
    this.#maxBatchMessages = options.maxBatchMessages ?? 2000;
  }

  /** Messages written to Kafka (acknowledged per `acks`) since creation. */
  get sentMessages(): number {
    return this.#sentMessages;
  }

  /** Resolves once the messages are acknowledged; rejects with RXK_SEND_FAILED. */
  send(topic: string, messages: Message[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ topic, messages, resolve, reject });
      // setImmediate lets every message queued in the same turn of the event loop join the first request.
      this.#sending ??= new Promise<void>((done) => setImmediate(() => void this.#drain().then(done)));
    });
  }

  /** Resolves when everything queued so far has been sent (or has failed). */
  async flush(): Promise<void> {
    while (this.#sending) await this.#sending;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#takeBatch();
      const failure = await this.#sendTogether(batch);
      if (!failure) continue;
      if (batch.length === 1 || isConnectionFailure(failure.error)) {
        rejectAll(batch, failure.error);
        continue;
      }
      // One bad entry (a reply to a deleted topic, to a partition the topic lacks) must not fail the others:
      // each is sent again alone, in order. Kafka may have written part of the failed request, so an entry
      // can reach it twice (at-least-once, as any producer retry).
      for (const entry of batch) {
        const entryFailure = await this.#sendTogether([entry]);
        if (entryFailure) rejectAll([entry], entryFailure.error);
      }
    }
    this.#sending = undefined;
  }

  /** Sends the entries in one request and resolves them; returns what the request threw, if it failed. */
  async #sendTogether(batch: readonly QueuedMessages[]): Promise<{ error: unknown } | undefined> {
    try {
      await this.#producer.sendBatch({ ...this.#sendConfig, topicMessages: groupByTopic(batch) });
    } catch (error) {
      return { error };
    }
    for (const entry of batch) {
      this.#sentMessages += entry.messages.length;
      entry.resolve();
    }
    return undefined;
  }

  #takeBatch(): QueuedMessages[] {
    let count = 0;
    let taken = 0;
    while (
      taken < this.#queue.length &&
      (taken === 0 || count + this.#queue[taken].messages.length <= this.#maxBatchMessages)
    ) {
      count += this.#queue[taken].messages.length;
      taken += 1;
    }
    const batch = this.#queue.slice(0, taken);
    this.#queue = this.#queue.slice(taken);
    return batch;
  }
}

function groupByTopic(batch: readonly QueuedMessages[]): Array<{ topic: string; messages: Message[] }> {
  const byTopic = new Map<string, Message[]>();
  for (const entry of batch) {
    const messages = byTopic.get(entry.topic);
    if (messages) messages.push(...entry.messages);
    else byTopic.set(entry.topic, [...entry.messages]);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

function rejectAll(batch: readonly QueuedMessages[], error: unknown): void {
  const failure = new RxKafkaError(
    'RXK_SEND_FAILED',
    `producing ${batch.length} message group(s) to ${[...new Set(batch.map((e) => e.topic))].join(', ')} failed: ${
      error instanceof Error ? error.message : String(error)
    }`,
    { cause: error, retriable: true },
  );
  for (const entry of batch) entry.reject(failure);
}

// kafkajs errors meaning the brokers cannot be reached; by name, as a second kafkajs copy breaks instanceof.
const CONNECTION_ERROR_NAMES: ReadonlySet<string> = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
]);

/**
 * True when the error, or one it wraps (kafkajs's KafkaJSNumberOfRetriesExceeded keeps the last attempt's
 * error as `cause`), says the brokers are unreachable: sending entries one by one would then only repeat
 * kafkajs's whole retry schedule for each of them.
 */
function isConnectionFailure(error: unknown): boolean {
  for (
    let current = error, depth = 0;
    current instanceof Error && depth < 5;
    current = current.cause, depth += 1
  ) {
    if (CONNECTION_ERROR_NAMES.has(current.name)) return true;
  }
  return false;
}
