import { Kafka, logLevel, Partitioners, type Message } from 'kafkajs';
import { createEventValue, toEventKey } from '../bench-event';
import type { LoadResult, LoaderSpec } from '../worker-protocol';

const MESSAGES_PER_REQUEST = 1_000;
const REQUESTS_IN_FLIGHT = 4;

/**
 * The loader role: writes the scenario's events into the topic before any consumer starts, the same way
 * for every implementation, so the consumers are measured on identical data.
 */
export async function loadEvents(spec: LoaderSpec): Promise<LoadResult> {
  const started = performance.now();
  const kafka = new Kafka({ clientId: 'bench-loader', brokers: [...spec.brokers], logLevel: logLevel.ERROR });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    let next = 0;
    const sendChunks = async (): Promise<void> => {
      while (next < spec.count) {
        const first = next;
        next = Math.min(spec.count, next + MESSAGES_PER_REQUEST);
        await producer.send({ topic: spec.topic, messages: createMessages(spec, first, next) });
      }
    };
    await Promise.all(Array.from({ length: REQUESTS_IN_FLIGHT }, sendChunks));
  } finally {
    await producer.disconnect();
  }
  return { produced: spec.count, durationMs: performance.now() - started };
}

function createMessages(spec: LoaderSpec, from: number, to: number): Message[] {
  const messages: Message[] = [];
  for (let id = from; id < to; id++) {
    messages.push({
      key: toEventKey(id, spec.keys),
      value: createEventValue(id, spec.keys, spec.valueBytes),
    });
  }
  return messages;
}
