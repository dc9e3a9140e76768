import { Kafka, logLevel } from 'kafkajs';
import { lastValueFrom, tap } from 'rxjs';
import { createStreamLogger, replay } from '../../lib';
import { checkEvent, type BenchEvent } from '../bench-event';
import { toCpuSeconds, type ProcessMeter, type ProcessSnapshot } from '../process-meter';
import type { ConsumeResult, ReplayerSpec } from '../worker-protocol';

type PlatformaticModule = typeof import('../implementations/platformatic');

/**
 * The replayer role of (g): reads the pre-produced topic from its beginning, checking every event, and
 * measures from the first record to the `count`th. rxkafka's side is `replay()` until caught up, on kafkajs
 * or on @platformatic/kafka (which reads by offsets, without a group); the baselines are the least a raw
 * read needs: kafkajs's `eachBatch`, or @platformatic/kafka's consume stream read a buffer at a time, one
 * `JSON.parse` per record, no commits (a read has nothing to commit), the library's defaults otherwise, in a
 * group of its own.
 */
export async function replayEvents(spec: ReplayerSpec, meter: ProcessMeter): Promise<ConsumeResult> {
  let first: ProcessSnapshot | undefined;
  let seen = 0;
  let finish: (last: ProcessSnapshot) => void = () => undefined;
  const finished = new Promise<ProcessSnapshot>((resolve) => (finish = resolve));
  const count = (event: BenchEvent) => {
    first ??= meter.snapshot();
    checkEvent(event);
    if (++seen === spec.count) finish(meter.snapshot());
  };
  const close = await startRead(spec, count);
  const last = await finished;
  const closeStarted = performance.now();
  await close();
  const start = first ?? last;
  const durationMs = last.atMs - start.atMs;
  return {
    durationMs,
    throughputPerS: spec.count / (durationMs / 1000),
    cpuS: toCpuSeconds(start, last),
    peakRssMb: meter.peakRssMb,
    closeMs: performance.now() - closeStarted,
  };
}

async function startRead(
  spec: ReplayerSpec,
  count: (event: BenchEvent) => void,
): Promise<() => Promise<void>> {
  switch (spec.implementation) {
    case 'rxkafka':
      return readWithReplay(spec, count);
    case 'rxkafka-platformatic':
      return readWithReplay(spec, count, 'platformatic');
    case 'kafkajs':
      return readWithKafkajs(spec, count);
    case 'platformatic': {
      // Loaded here only: a worker's RSS holds one implementation's code.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { startRawRead } = require('../implementations/platformatic') as PlatformaticModule;
      const read = await startRawRead(
        { brokers: spec.brokers, topic: spec.topic, groupId: `${spec.topic}-platformatic-read` },
        count,
      );
      return () => read.close();
    }
  }
}

async function readWithReplay(
  spec: ReplayerSpec,
  count: (event: BenchEvent) => void,
  driver?: 'platformatic',
): Promise<() => Promise<void>> {
  const source = replay<BenchEvent>(spec.topic, {
    client: { brokers: [...spec.brokers], clientId: 'bench-replay' },
    logger: createStreamLogger('error'),
    ...(driver === undefined ? {} : { driver }),
  });
  // One subscription: each one is a read of its own.
  const done = lastValueFrom(source.pipe(tap((record) => count(record.value))), { defaultValue: undefined });
  return async () => {
    await done;
    await source.close();
  };
}

async function readWithKafkajs(
  spec: ReplayerSpec,
  count: (event: BenchEvent) => void,
): Promise<() => Promise<void>> {
  const kafka = new Kafka({
    clientId: 'bench-kafkajs-read',
    brokers: [...spec.brokers],
    logLevel: logLevel.ERROR,
  });
  const consumer = kafka.consumer({ groupId: `${spec.topic}-kafkajs-read` });
  await consumer.connect();
  await consumer.subscribe({ topics: [spec.topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) count(JSON.parse(String(message.value)) as BenchEvent);
    },
  });
  return () => consumer.disconnect();
}
