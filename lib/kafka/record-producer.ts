import type { OutgoingRecord } from './kafka-record';

/** Produce settings of one request: acknowledgements, the broker's timeout, compression codec. */
export interface ProduceSettings {
  readonly acks?: number;
  readonly timeout?: number;
  /** The adapter's codec number (kafkajs `CompressionTypes`). */
  readonly compression?: number;
}

/** One produce request: records for several topics. */
export interface ProduceRequest extends ProduceSettings {
  readonly topicMessages: Array<{ topic: string; messages: OutgoingRecord[] }>;
}

/** What Kafka acknowledged for one partition of a produce request. */
export interface WrittenPartition {
  readonly topicName: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly baseOffset?: string;
}

/** The producing half of a Kafka client, as the delivery layer needs it (kafkajs's `Producer` fits). */
export interface RecordProducer {
  /** Resolves once Kafka acknowledged every record, with one entry per partition written. */
  sendBatch(request: ProduceRequest): Promise<WrittenPartition[]>;
}
