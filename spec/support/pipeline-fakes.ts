/**
 * Plain fakes for unit specs of the pipeline's paths (request path, event path, failure policy): a produce
 * queue that records what it is given and fails or holds sends on demand, handlers built from a function,
 * and the record and context a handler sees. No driver, no timers of their own.
 */
import type { ProduceQueue, SendOptions } from '../../lib/connection/produce-queue';
import type { HandlerDescriptor } from '../../lib/handlers/handler-registry';
import type { HandlerOptions } from '../../lib/handlers/handler-options';
import { KafkaContext } from '../../lib/handlers/kafka-context';
import type { Consumer, Producer } from '../../lib/kafka/kafkajs/kafkajs-types';
import type { OutgoingRecord, RecordHeaders } from '../../lib/kafka/kafka-record';
import { KafkaParser, type RawKafkaRecord } from '../../lib/wire/parser';

/** One call of `send()`. */
export interface QueuedSend {
  readonly topic: string;
  readonly records: OutgoingRecord[];
  readonly options: SendOptions | undefined;
}

/** The part of ProduceQueue the paths use, recorded. */
export class FakeProduceQueue {
  readonly sends: QueuedSend[] = [];
  /** Topics refused as a whole (`refuses()` answers true). */
  readonly refusedTopics = new Set<string>();
  /** Makes a send fail: the error to reject it with, or undefined to acknowledge it. */
  failure: ((topic: string, records: readonly OutgoingRecord[]) => unknown) | undefined;
  #held: Array<() => void> | undefined;

  send(topic: string, records: OutgoingRecord[], options?: SendOptions): Promise<void> {
    this.sends.push({ topic, records, options });
    const error = this.failure?.(topic, records);
    if (error !== undefined) return Promise.reject(error);
    if (!this.#held) return Promise.resolve();
    const held = this.#held;
    return new Promise((resolve) => held.push(resolve));
  }

  refuses(topic: string): boolean {
    return this.refusedTopics.has(topic);
  }

  /** From now on, sends wait for `release()` before they are acknowledged. */
  hold(): void {
    this.#held ??= [];
  }

  /** Acknowledges every held send and stops holding. */
  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    held.forEach((acknowledge) => acknowledge());
  }

  /** Every record sent, in order, with its topic. */
  get records(): Array<{ topic: string; record: OutgoingRecord }> {
    return this.sends.flatMap(({ topic, records }) => records.map((record) => ({ topic, record })));
  }

  /** This fake as the paths' option type. */
  asProduceQueue(): ProduceQueue {
    return this as unknown as ProduceQueue;
  }
}

/** A handler whose method is `invoke`, counting its runs. */
export interface FakeHandler extends HandlerDescriptor {
  readonly runs: number;
}

export function createHandler(
  invoke: (payload: unknown, context: KafkaContext) => unknown,
  settings: { kind?: 'message' | 'event'; options?: HandlerOptions; method?: string } = {},
): FakeHandler {
  let runs = 0;
  return {
    kind: settings.kind ?? 'message',
    pattern: 'spec.topic',
    options: settings.options ?? {},
    controller: 'SpecController',
    method: settings.method ?? 'handle',
    get runs() {
      return runs;
    },
    invoke(payload, context) {
      runs += 1;
      return invoke(payload, context);
    },
  };
}

/** A fetched record on `topic`, partition 3, offset 41. */
export function createRawRecord(
  topic = 'spec.topic',
  value: string | null = '{"n":1}',
  headers: RecordHeaders = {},
): RawKafkaRecord {
  return {
    topic,
    partition: 3,
    offset: '41',
    key: Buffer.from('key-1'),
    value: value === null ? null : Buffer.from(value),
    timestamp: '1700000000000',
    attributes: 0,
    headers,
  };
}

/** The KafkaContext a handler of `record` gets. */
export function createContext(record: RawKafkaRecord = createRawRecord()): KafkaContext {
  return new KafkaContext([
    new KafkaParser().parse(record),
    record.partition,
    record.topic,
    {} as Consumer,
    async () => undefined,
    {} as Producer,
  ]);
}

/** Lets queued microtasks and timers of 0 ms run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Waits `ms` of real time: only for the few-millisecond deadlines of these specs. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
