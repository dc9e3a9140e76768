import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { onParentCommand, sendToParent } from '../parent-channel';
import type { HostileResult, HostileSpec } from '../worker-protocol';

/** One write every this many ms, each carrying its share of the rate. */
const ROUND_MS = 100;

/**
 * The hostile records of scenario (s), written in turn. Each one is a record any producer on the request
 * topic can write, and both servers survive it: the kinds whose reply Kafka refuses (an unknown reply topic,
 * a reply partition out of range or not a number, a reply over the size limit) are in the reliability specs
 * instead, because NestJS's `ServerKafka` sends replies from an un-awaited promise and such a refusal ends
 * its process with an unhandled rejection.
 */
const KINDS: ReadonlyArray<{
  kind: string;
  toRecord: (spec: HostileSpec) => { topic: string; message: Message };
}> = [
  { kind: 'not JSON', toRecord: (spec) => toRequest(spec, '[1, 2, 3') },
  { kind: 'empty value', toRecord: (spec) => toRequest(spec, '') },
  // The sum handler throws on these two: its caller gets an error reply.
  { kind: 'null value', toRecord: (spec) => toRequest(spec, null) },
  { kind: 'JSON that is no array', toRecord: (spec) => toRequest(spec, '{"hero": "Ann"}') },
  {
    kind: 'no kafka_replyTopic',
    toRecord: (spec) => ({
      topic: spec.topic,
      message: { value: '[1, 2]', headers: { kafka_correlationId: randomUUID(), kafka_replyPartition: '0' } },
    }),
  },
  {
    kind: 'binary kafka_correlationId',
    toRecord: (spec) => ({
      topic: spec.topic,
      message: {
        value: '[1, 2]',
        headers: {
          kafka_correlationId: Buffer.from([0xff, 0xfe, 0x00, 0x41]),
          kafka_replyTopic: spec.replyTopic,
          kafka_replyPartition: '0',
        },
      },
    }),
  },
  {
    kind: 'reply to an unknown correlation id',
    toRecord: (spec) => ({
      topic: spec.replyTopic,
      message: { value: '{"response": 1', headers: { kafka_correlationId: randomUUID() } },
    }),
  },
];

/** One record in this many is a value of 100 KB of text (the handler iterates it, and answers as much). */
const LARGE_EVERY = 50;
const LARGE_BYTES = 100_000;

/**
 * The hostile role of scenario (s): from the parent's `mark` (the client's measured requests begin) until
 * its `stop`, writes `ratePerS` hostile records a second in rounds of ROUND_MS, then reports how many of
 * each kind it wrote.
 */
export async function produceHostile(spec: HostileSpec): Promise<HostileResult> {
  const kafka = new Kafka({
    clientId: 'bench-hostile',
    brokers: [...spec.brokers],
    logLevel: logLevel.ERROR,
  });
  const producer = kafka.producer();
  await producer.connect();
  let stopped = false;
  let markMeasuring: () => void = () => undefined;
  const measuring = new Promise<void>((resolve) => (markMeasuring = resolve));
  const stopListening = onParentCommand((command) => {
    if (command.type === 'mark') markMeasuring();
    if (command.type === 'stop') {
      stopped = true;
      markMeasuring();
    }
  });
  const written: Record<string, number> = {};
  const perRound = Math.max(1, Math.round((spec.ratePerS * ROUND_MS) / 1_000));
  let index = 0;
  await sendToParent({ type: 'ready' });
  // The client's warm-up runs clean; hostile records start with its measured requests.
  await measuring;
  try {
    while (!stopped) {
      const roundStarted = performance.now();
      const records = Array.from({ length: perRound }, () => {
        index += 1;
        if (index % LARGE_EVERY === 0) {
          written['value of 100 KB'] = (written['value of 100 KB'] ?? 0) + 1;
          return toRequest(spec, 'a'.repeat(LARGE_BYTES));
        }
        const { kind, toRecord } = KINDS[index % KINDS.length];
        written[kind] = (written[kind] ?? 0) + 1;
        return toRecord(spec);
      });
      await producer.sendBatch({ topicMessages: groupByTopic(records) });
      await sleep(ROUND_MS - (performance.now() - roundStarted));
    }
  } finally {
    stopListening();
    await producer.disconnect();
  }
  return { written };
}

function toRequest(spec: HostileSpec, value: string | null): { topic: string; message: Message } {
  return {
    topic: spec.topic,
    message: {
      value,
      headers: {
        kafka_correlationId: randomUUID(),
        kafka_replyTopic: spec.replyTopic,
        kafka_replyPartition: '0',
      },
    },
  };
}

function groupByTopic(
  records: ReadonlyArray<{ topic: string; message: Message }>,
): Array<{ topic: string; messages: Message[] }> {
  const byTopic = new Map<string, Message[]>();
  for (const { topic, message } of records) byTopic.set(topic, [...(byTopic.get(topic) ?? []), message]);
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
