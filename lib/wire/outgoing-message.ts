/**
 * One record as kafkajs `producer.send({ topic, messages })` takes it, with `headers` always present
 * so encoders can add to it without a nil check.
 */
export interface OutgoingMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers: Record<string, string | Buffer>;
  partition?: number;
  timestamp?: string;
}

/**
 * The envelope form a caller (or a handler's return value) may use to set key, headers, partition or
 * timestamp: any object with a `key` or `value` property, own or inherited (NestJS's rule).
 */
export interface KafkaEnvelope {
  key?: unknown;
  value?: unknown;
  headers?: Record<string, string | Buffer> | null;
  partition?: number;
  timestamp?: string;
}
