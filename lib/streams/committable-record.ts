/** Anything a stream operator can mark finished: a record, or a result that carries one. */
export interface Committable {
  /** Marks the record finished (see CommittableRecord.commit). */
  commit(): void;
}

/**
 * One consumed record, decoded, as `consume()` emits it. Call `commit()` once the record is finished: its
 * offset is committed as soon as every record before it in its partition is finished too, so records may
 * finish in any order. A record never committed holds its partition's committed offset (and, once
 * `bufferSize` records of the partition are unfinished, the partition's intake) until the stream stops;
 * it is then redelivered to the group's next owner of the partition.
 */
export interface CommittableRecord<T = unknown> extends Committable {
  readonly topic: string;
  readonly partition: number;
  /** The record's offset, a decimal string (int64). */
  readonly offset: string;
  /** The key, decoded the NestJS way (JSON when it parses, else text); null for none. */
  readonly key: unknown;
  /** The value, as the stream's `decode` returned it. */
  readonly value: T;
  /** The headers, each decoded the NestJS way. */
  readonly headers: Record<string, unknown>;
  /** The record's timestamp, epoch milliseconds as a decimal string. */
  readonly timestamp: string;
  /**
   * Marks the record finished; calling it again, or after the stream stopped, does nothing. A method:
   * call it on the record (`record.commit()`), not detached from it.
   */
  commit(): void;
  /**
   * The run this is of the record: 1 from the stream's own topics, 2 from its first retry topic, and so on
   * (the stream's `retryTopics`).
   */
  readonly attempt: number;
  /**
   * Gives up on this run of the record: forwards it to the next retry topic of the stream's `retryTopics`
   * (it comes back, as `attempt + 1`, once that delay passed), or to the dead-letter topic once the delays
   * are spent or `retryOn` refuses `error`, with the retry or dead-letter headers a server's handler writes.
   * Resolves once Kafka acknowledged the write, and only then marks the record finished (as commit() does):
   * a crash before it redelivers the record, never loses it. Rejects when the write failed (the record stays
   * unfinished: retry() or commit() it again) or the stream has no `retryTopics` (RXK_INVALID_OPTIONS).
   * Resolves 'ignored' without writing when the record was committed already or the stream stopped meanwhile.
   * A method: call it on the record.
   */
  retry(error: unknown): Promise<RetryOutcome>;
}

/**
 * Where `record.retry()` sent the record: a retry topic, the dead-letter topic, nowhere (`deadLetter: false`,
 * logged only), or nothing was done ('ignored': committed already, or the stream stopped).
 */
export type RetryOutcome = 'retry' | 'dead-letter' | 'dropped' | 'ignored';
