import { isDeepStrictEqual } from 'node:util';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { firstValueFrom } from 'rxjs';
import { createStreamLogger, projection, type ProjectionOptions, type ReplayRecord } from '../../lib';
import { createEventValue, toEventKey, type BenchEvent } from '../bench-event';
import { toCpuSeconds, type ProcessMeter } from '../process-meter';
import type { ProjectorSpec, RestartResult } from '../worker-protocol';

/** Snapshots per build: one every tenth of the pre-produced events (and one at close()). */
const SNAPSHOTS_PER_BUILD = 10;

interface KeyStats {
  events: Record<string, number>;
  lastId: number;
}

/**
 * The benchmark's reducer: events per key and the highest id seen. It updates the state in place (nothing
 * here keeps old states), since copying 1,000 keys per record would measure the copy, not the projection.
 */
function countByKey(state: KeyStats, record: ReplayRecord<BenchEvent>): KeyStats {
  const { key, id } = record.value;
  state.events[key] = (state.events[key] ?? 0) + 1;
  state.lastId = Math.max(state.lastId, id);
  return state;
}

const createEmpty = (): KeyStats => ({ events: {}, lastId: -1 });

/**
 * The projector role of (h): builds a projection of the pre-produced events with snapshots and closes it
 * (its last snapshot covers them all), writes `tailCount` more events, then times two starts, each from
 * projection() to its caughtUp$: a restart from the snapshot (it replays the tail only) and a projection
 * without snapshots (it replays everything).
 */
export async function restartProjection(spec: ProjectorSpec, meter: ProcessMeter): Promise<RestartResult> {
  const options: ProjectionOptions<KeyStats, BenchEvent> = {
    client: { brokers: [...spec.brokers], clientId: 'bench-projection' },
    logger: createStreamLogger('error'),
  };
  const snapshotting = {
    ...options,
    name: 'bench-key-stats',
    snapshots: {
      topic: spec.snapshotTopic,
      every: Math.max(1, Math.floor(spec.count / SNAPSHOTS_PER_BUILD)),
    },
  };
  const build = projection(spec.topic, countByKey, createEmpty(), snapshotting);
  await firstValueFrom(build.caughtUp$);
  await build.close();
  await produceTail(spec);

  const started = meter.snapshot();
  const fromSnapshot = await timeToCaughtUp(() =>
    projection(spec.topic, countByKey, createEmpty(), snapshotting),
  );
  const full = await timeToCaughtUp(() => projection(spec.topic, countByKey, createEmpty(), options));
  const ended = meter.snapshot();
  return {
    fromSnapshotMs: fromSnapshot.ms,
    fullReplayMs: full.ms,
    appliedFromSnapshot: fromSnapshot.applied,
    appliedFull: full.applied,
    statesEqual: isDeepStrictEqual(fromSnapshot.state, full.state),
    cpuS: toCpuSeconds(started, ended),
    peakRssMb: meter.peakRssMb,
  };
}

async function timeToCaughtUp(
  start: () => ReturnType<typeof projection<KeyStats, BenchEvent>>,
): Promise<{ ms: number; applied: number; state: KeyStats }> {
  const began = performance.now();
  const view = start();
  await firstValueFrom(view.caughtUp$);
  const ms = performance.now() - began;
  const result = { ms, applied: view.applied, state: view.state };
  await view.close();
  return result;
}

async function produceTail(spec: ProjectorSpec): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-tail', brokers: [...spec.brokers], logLevel: logLevel.ERROR });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
  await producer.connect();
  try {
    for (let from = spec.count; from < spec.count + spec.tailCount; from += 1_000) {
      const to = Math.min(spec.count + spec.tailCount, from + 1_000);
      const messages = [];
      for (let id = from; id < to; id++) {
        messages.push({
          key: toEventKey(id, spec.keys),
          value: createEventValue(id, spec.keys, spec.valueBytes),
        });
      }
      await producer.send({ topic: spec.topic, messages });
    }
  } finally {
    await producer.disconnect();
  }
}
