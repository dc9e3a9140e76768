/**
 * What an exactly-once owner (`processExactlyOnce()` or the server's exactly-once handlers) gives the batch
 * handler, and what it is told back: its settings, a failed transform, a committed transaction, the counts.
 */
import type { ConsumedRecord } from '../connection/kafka-connection';
import type { RxKafkaError } from '../errors';
import type { Logger } from '../logger';
import type { RawKafkaRecord } from '../wire/parser';
import type { TopicRecord, TransformResult } from './transform-outputs';

/** What the processor did so far. */
export interface ExactlyOnceStats {
  /** Input records whose transaction committed. */
  readonly recordsProcessed: number;
  readonly outputsProduced: number;
  readonly transactionsCommitted: number;
  /** Transactions that failed and were aborted (their records are processed again). */
  readonly transactionsAborted: number;
  /** Of those, failed because a newer producer fenced this one (RXK_PRODUCER_FENCED). */
  readonly fenced: number;
  readonly deadLetters: number;
}

/** One committed transaction, for metrics (the bench reads its latency). */
export interface TransactionCommitted {
  readonly topic: string;
  readonly partition: number;
  /** Input records the transaction covered. */
  readonly records: number;
  readonly outputs: number;
  /** From beginning the transaction to its commit's answer. */
  readonly durationMs: number;
}

/** A record whose transform threw (or returned an invalid output). */
export interface TransformFailure {
  readonly record: RawKafkaRecord;
  /** What the transform threw. */
  readonly error: unknown;
  /** RXK_TRANSFORM_FAILED, naming the record: the error a stop reports. */
  readonly failure: RxKafkaError;
}

/** The owner's settings: the processor's resolved options, or the server's exactly-once handlers. */
export interface ExactlyOnceSettings {
  /** The group whose offsets commit inside the transactions. */
  readonly groupId: string;
  readonly transform: (record: ConsumedRecord) => TransformResult;
  /**
   * What becomes of a record whose transform failed: the records to produce for it in its transaction
   * instead (a dead letter; none skips it), or `'stop'`: nothing from it on commits, and `onPoisonRecord`
   * is called.
   */
  readonly onTransformFailure: (failure: TransformFailure) => readonly TopicRecord[] | 'stop';
  /** Input records per transaction at most. */
  readonly maxBatchRecords: number;
  /** First wait after a failed transaction; doubles up to `maxRetryDelayMs`. */
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly onTransactionCommitted: ((event: TransactionCommitted) => void) | undefined;
  readonly logger: Logger;
}
