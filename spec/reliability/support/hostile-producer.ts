/**
 * A raw kafkajs peer that writes a steady mix of hostile records to a server's request and event topics
 * and to its clients' reply topic, and notes every one it wrote, so the hostile-mix spec can check what
 * became of each kind.
 */
import { randomUUID } from 'node:crypto';
import type { IHeaders, Message, Producer } from 'kafkajs';
import { sleep } from './eventually';
import { createRawKafka } from './raw-kafka';

/** The hostile records the peer writes, each a way a record can be wrong. */
export type HostileKind =
  | 'unknown reply topic'
  | 'not JSON'
  | 'empty value'
  | 'null value'
  | 'value of 1 MB'
  | 'non-numeric kafka_replyPartition'
  | 'out-of-range kafka_replyPartition'
  | 'no kafka_replyTopic'
  | 'binary kafka_correlationId'
  | 'handler throws'
  | 'handler never settles'
  | 'event that is not JSON'
  | 'null event'
  | 'reply to an unknown correlation id';

/** One hostile record written, with the correlation id it carried (if any). */
export interface HostileRecord {
  readonly kind: HostileKind;
  readonly correlationId?: string;
}

export interface HostileTopics {
  readonly requestTopic: string;
  /** Where the server's replies go; the clients read it. */
  readonly replyTopic: string;
  readonly eventTopic: string;
  /** A reply topic that does not exist. */
  readonly missingReplyTopic: string;
}

/** Just under the broker's default `message.max.bytes` (1,048,588) with headers and framing. */
const NEAR_MAX_BYTES = 1_000_000;

/** When each kind is written, counted in rounds of the loop (every kind with period 1 goes every round). */
const SCHEDULE: ReadonlyArray<{ kind: HostileKind; everyRounds: number; burst?: number }> = [
  { kind: 'not JSON', everyRounds: 1 },
  { kind: 'empty value', everyRounds: 1 },
  { kind: 'null value', everyRounds: 1 },
  { kind: 'non-numeric kafka_replyPartition', everyRounds: 1 },
  { kind: 'no kafka_replyTopic', everyRounds: 1 },
  { kind: 'binary kafka_correlationId', everyRounds: 1 },
  { kind: 'handler throws', everyRounds: 1 },
  { kind: 'event that is not JSON', everyRounds: 1 },
  { kind: 'null event', everyRounds: 1 },
  { kind: 'reply to an unknown correlation id', everyRounds: 1 },
  { kind: 'value of 1 MB', everyRounds: 5 },
  { kind: 'out-of-range kafka_replyPartition', everyRounds: 5 },
  // A silent handler holds its partition until handlerTimeoutMs cuts it off: rare, as in real traffic.
  { kind: 'handler never settles', everyRounds: 15 },
  // Bursts: the server's log of refused reply topics is rate-limited per topic.
  { kind: 'unknown reply topic', everyRounds: 25, burst: 20 },
];

export class HostileProducer {
  /** Every hostile record written so far, in order. */
  readonly written: HostileRecord[] = [];
  readonly #producer: Producer;
  readonly #topics: HostileTopics;

  private constructor(producer: Producer, topics: HostileTopics) {
    this.#producer = producer;
    this.#topics = topics;
  }

  static async connect(brokers: readonly string[], topics: HostileTopics): Promise<HostileProducer> {
    const producer = createRawKafka(brokers).producer();
    await producer.connect();
    return new HostileProducer(producer, topics);
  }

  /** The correlation ids written for `kind`. */
  correlationIdsOf(kind: HostileKind): string[] {
    return this.written.flatMap((record) =>
      record.kind === kind && record.correlationId !== undefined ? [record.correlationId] : [],
    );
  }

  /** How many records of `kind` were written. */
  countOf(kind: HostileKind): number {
    return this.written.filter((record) => record.kind === kind).length;
  }

  /** Writes `rounds` rounds of the schedule, one every `pauseMs`; `onRound` runs after each. */
  async run(rounds: number, pauseMs: number, onRound: () => void = () => undefined): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      const due = SCHEDULE.filter(({ everyRounds }) => round % everyRounds === 0).flatMap(({ kind, burst }) =>
        Array.from({ length: burst ?? 1 }, () => this.#toTopicMessages(kind)),
      );
      // The broker's size limit holds for a whole record batch: the near-limit value goes in a request of its own.
      const [large, small] = partition(due, ({ messages }) => messages.some(isNearLimit));
      await Promise.all([
        this.#producer.sendBatch({ topicMessages: mergeByTopic(small) }),
        ...large.map((topicMessages) => this.#producer.send(topicMessages)),
      ]);
      onRound();
      await sleep(pauseMs);
    }
  }

  async disconnect(): Promise<void> {
    await this.#producer.disconnect();
  }

  #toTopicMessages(kind: HostileKind): TopicMessages {
    const { requestTopic, replyTopic, eventTopic, missingReplyTopic } = this.#topics;
    const correlationId = randomUUID();
    const note = (id?: string): void => void this.written.push({ kind, correlationId: id });
    const request = (value: Message['value'], headers: IHeaders = {}): TopicMessages => {
      note(correlationId);
      return {
        topic: requestTopic,
        messages: [
          {
            value,
            headers: {
              kafka_correlationId: correlationId,
              kafka_replyTopic: replyTopic,
              kafka_replyPartition: '0',
              ...headers,
            },
          },
        ],
      };
    };
    switch (kind) {
      case 'unknown reply topic':
        return request('{"hero": "Ann"}', { kafka_replyTopic: missingReplyTopic });
      case 'not JSON':
        return request('{hero: Ann');
      case 'empty value':
        return request('');
      case 'null value':
        return request(null);
      case 'value of 1 MB':
        return request(Buffer.alloc(NEAR_MAX_BYTES, 'a'));
      case 'non-numeric kafka_replyPartition':
        return request('{"hero": "Ann"}', { kafka_replyPartition: 'abc' });
      case 'out-of-range kafka_replyPartition':
        return request('{"hero": "Ann"}', { kafka_replyPartition: '7' });
      case 'handler throws':
        return request('{"act": "throw"}');
      case 'handler never settles':
        return request('{"act": "hang"}');
      case 'no kafka_replyTopic': {
        note(correlationId);
        const headers = { kafka_correlationId: correlationId, kafka_replyPartition: '0' };
        return { topic: requestTopic, messages: [{ value: '{"hero": "Ann"}', headers }] };
      }
      case 'binary kafka_correlationId': {
        const binary = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(correlationId)]);
        note(binary.toString('utf8'));
        const headers = {
          kafka_correlationId: binary,
          kafka_replyTopic: replyTopic,
          kafka_replyPartition: '0',
        };
        return { topic: requestTopic, messages: [{ value: '{"hero": "Ann"}', headers }] };
      }
      case 'event that is not JSON':
        note();
        return { topic: eventTopic, messages: [{ value: '{"id": ' }] };
      case 'null event':
        note();
        return { topic: eventTopic, messages: [{ value: null }] };
      case 'reply to an unknown correlation id':
        note(correlationId);
        return {
          topic: replyTopic,
          messages: [
            { value: '{"response": "nobody asked"', headers: { kafka_correlationId: correlationId } },
          ],
        };
    }
  }
}

type TopicMessages = { topic: string; messages: Message[] };

function isNearLimit(message: Message): boolean {
  return Buffer.isBuffer(message.value) && message.value.length >= NEAR_MAX_BYTES;
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}

/** One entry per topic, so one produce request carries a round. */
function mergeByTopic(entries: readonly TopicMessages[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const { topic, messages } of entries) byTopic.set(topic, [...(byTopic.get(topic) ?? []), ...messages]);
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
