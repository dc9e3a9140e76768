/** Where a replay starts and where it counts as caught up, per partition, captured once at its start. */
import { RxKafkaError } from '../errors';
import type { KafkaDriver } from '../kafka/kafka-driver';
import type { Logger } from '../logger';
import type { ResolvedReplayFrom } from './replay-options';

/** Per partition: the first offset to read, and the end offset ("high watermark") when the read began. */
export interface ReplayBounds {
  readonly start: ReadonlyMap<number, bigint>;
  readonly end: ReadonlyMap<number, bigint>;
}

/**
 * Looks up the bounds of a read of `topic` from `from`. Offsets given outside a partition's kept range
 * (below its start: deleted by retention; past its end: not written yet) are moved to that edge, with a
 * warning, since Kafka would otherwise reset the fetch to a place the caller did not choose.
 * @throws RxKafkaError `RXK_INVALID_OPTIONS` when `from.offsets` names a partition the topic does not have.
 */
export async function resolveReplayBounds(
  driver: KafkaDriver,
  topic: string,
  from: ResolvedReplayFrom,
  logger: Logger,
): Promise<ReplayBounds> {
  const [ends, lows] = await Promise.all([driver.fetchEndOffsets(topic), driver.fetchStartOffsets(topic)]);
  const end = new Map(ends.map(({ partition, high }) => [partition, BigInt(high)]));
  const low = new Map(lows.map(({ partition, low: offset }) => [partition, BigInt(offset)]));
  const start = new Map<number, bigint>();
  if (from.kind === 'timestamp') {
    for (const { partition, offset } of await driver.fetchOffsetsAtTime(topic, from.timestampMs)) {
      start.set(partition, BigInt(offset));
    }
  }
  if (from.kind === 'offsets') {
    const unknown = [...from.offsets.keys()].filter((partition) => !end.has(partition));
    if (unknown.length > 0) {
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        `option from.offsets names partition ${unknown.join(', ')} of ${topic}, which has partitions 0 to ${end.size - 1}: ` +
          'name only partitions the topic has',
        { topic, path: 'from.offsets' },
      );
    }
  }
  for (const [partition, high] of end) {
    const first = low.get(partition) ?? 0n;
    const wanted =
      from.kind === 'offsets' ? (from.offsets.get(partition) ?? first) : (start.get(partition) ?? first);
    const clamped = wanted < first ? first : wanted > high ? high : wanted;
    if (clamped !== wanted) {
      logger.warn(
        `replay of ${topic}: offset ${wanted} of partition ${partition} is outside ${first}..${high}`,
        {
          topic,
          partition,
          offset: String(wanted),
          startsAt: String(clamped),
        },
      );
    }
    start.set(partition, clamped);
  }
  return { start, end };
}
