/**
 * Records as the runtime sees them, in rxkafka's own types: what a Kafka client adapter hands over when it
 * fetches and takes when it produces. kafkajs's `KafkaMessage`, `Message` and `IHeaders` have these shapes,
 * so its objects pass through the kafkajs adapter without a copy.
 */

/** Record headers by name: a value, several values for a repeated name, or absent. */
export interface RecordHeaders {
  [name: string]: Buffer | string | (Buffer | string)[] | undefined;
}

/** A record as fetched from a partition. Offsets and timestamps are decimal strings (int64). */
export interface FetchedRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly offset: string;
  readonly timestamp: string;
  readonly attributes: number;
  readonly size?: number;
  readonly headers?: RecordHeaders;
}

/** A record to produce; without `partition` the adapter's partitioner picks one. */
export interface OutgoingRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: RecordHeaders;
  timestamp?: string;
}
