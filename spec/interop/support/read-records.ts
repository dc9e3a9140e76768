import type { IHeaders } from 'kafkajs';
import { testKafka, uniqueName, withAdmin } from '../../support/kafka-fixtures';
import { eventually } from './eventually';

/** A record exactly as it sits in Kafka: bytes, and headers in their order on the wire. */
export interface StoredRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyArray<readonly [string, Buffer]>;
}

/**
 * Reads every record `topic` holds now (up to each partition's end offset at the time of the call) with a
 * throwaway consumer group, in partition, then offset, order.
 */
export async function readRecords(topic: string): Promise<StoredRecord[]> {
  const ends = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
  const endOf = new Map(
    ends.filter((end) => Number(end.high) > Number(end.low)).map((end) => [end.partition, Number(end.high)]),
  );
  if (endOf.size === 0) return [];
  // A short long-poll: disconnect() waits for the fetch in flight.
  const consumer = (await testKafka()).consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
  const records: StoredRecord[] = [];
  const finished = new Set<number>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const end = endOf.get(partition) ?? 0;
        if (Number(message.offset) >= end) return;
        records.push({
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers: toHeaderList(message.headers),
        });
        if (Number(message.offset) === end - 1) finished.add(partition);
      },
    });
    await eventually(() => finished.size === endOf.size, `the records of ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return records.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

/** The header value of `name` as UTF-8 text, or undefined. */
export function headerText(record: StoredRecord, name: string): string | undefined {
  return record.headers.find(([key]) => key === name)?.[1].toString('utf8');
}

function toHeaderList(headers: IHeaders | undefined): Array<[string, Buffer]> {
  return Object.entries(headers ?? {}).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((item): [string, Buffer] => [name, Buffer.from(item ?? '')]),
  );
}
