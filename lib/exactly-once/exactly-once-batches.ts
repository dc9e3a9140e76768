/**
 * How an exactly-once consumer handles one fetched batch of one partition: transform each record in offset
 * order, then in one transaction per chunk of `maxBatchRecords` produce the outputs and commit the offset
 * after the chunk's last record; only then resolve that offset with the consumer (its next fetch position).
 * Shared by `processExactlyOnce()` and the server's `@EventPattern(topic, { exactlyOnce: true })` handlers.
 */
import type { DispatchMode } from '../connection/kafka-connection';
import type { ExactlyOnceSettings, ExactlyOnceStats } from './exactly-once-settings';
import type { AcquiredProducer, PartitionProducers } from './partition-producers';
import type { PartitionProgressBook } from '../offsets/partition-progress';
import { RxKafkaError } from '../errors';
import type { FetchedBatch, TopicPartitionOffsets } from '../kafka/fetched-batch';
import type { DriverTransactionalProducer, KafkaDriver } from '../kafka/kafka-driver';
import type { FetchedRecord } from '../kafka/kafka-record';
import type { KafkaTracing, ProcessSpan } from '../tracing/kafka-tracing';
import { toRawRecord } from '../wire/parser';
import { collectOutputs, toProduceRequest, type TopicRecord } from './transform-outputs';

const HEARTBEAT_EVERY_MS = 1_000;

export interface ExactlyOnceBatchesOptions {
  readonly options: ExactlyOnceSettings;
  readonly driver: KafkaDriver;
  /** Kafka took a transaction and the group offsets in it (the driver reports no commit of its own here). */
  readonly onCommitted?: (offsets: TopicPartitionOffsets) => void;
  readonly producers: PartitionProducers;
  readonly dispatchMode: () => DispatchMode;
  readonly seek: (topic: string, partition: number, offset: string) => void;
  readonly progress: PartitionProgressBook;
  /** Called once when `onTransformFailure` says `'stop'`. */
  readonly onPoisonRecord: (error: RxKafkaError) => void;
  /**
   * Present when an OpenTelemetry SDK is registered: one `process` span per transaction, linked to its
   * input records' contexts; the transforms run in it and every output carries it.
   */
  readonly tracing?: KafkaTracing;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A failed chunk's transaction, to be retried from its first record. */
class TransactionFailure {
  constructor(readonly error: unknown) {}
}

export class ExactlyOnceBatches {
  readonly #options: ExactlyOnceBatchesOptions;
  readonly #stats: Mutable<ExactlyOnceStats> = {
    recordsProcessed: 0,
    outputsProduced: 0,
    transactionsCommitted: 0,
    transactionsAborted: 0,
    fenced: 0,
    deadLetters: 0,
  };
  /** Consecutive failures by partition, for the backoff. */
  readonly #failures = new Map<string, number>();
  readonly #active = new Set<Promise<void>>();
  /** A poison record stopped the processor. */
  #stopped = false;
  /** An abandoning close: nothing more commits. */
  #abandoned = false;

  constructor(options: ExactlyOnceBatchesOptions) {
    this.#options = options;
  }

  get stats(): ExactlyOnceStats {
    return { ...this.#stats };
  }

  /** The consumer's `eachBatch`. */
  readonly eachBatch = async (payload: FetchedBatch): Promise<void> => {
    if (this.#stopped || this.#abandoned || this.#options.dispatchMode() !== 'running') return;
    const run = this.#run(payload);
    this.#active.add(run);
    try {
      await run;
    } finally {
      this.#active.delete(run);
    }
  };

  /** Resolves once no batch is running (the connection's drain waits for it). */
  async finish(): Promise<void> {
    await Promise.allSettled([...this.#active]);
  }

  /** Commits nothing more (an abandoning close): running batches return without committing. */
  abandon(): void {
    this.#abandoned = true;
  }

  async #run(payload: FetchedBatch): Promise<void> {
    const { topic, partition } = payload.batch;
    if (payload.batch.messages.length === 0) return;
    let acquired: AcquiredProducer;
    try {
      acquired = await this.#options.producers.acquire(topic, partition);
    } catch (error) {
      await this.#retryLater(payload, payload.batch.messages[0].offset, error, 'producer');
      return;
    }
    try {
      await this.#runHolding(payload, acquired);
    } finally {
      acquired.release();
    }
  }

  /** The batch's records through `acquired`, its partition's producer, which it holds meanwhile. */
  async #runHolding(payload: FetchedBatch, acquired: AcquiredProducer): Promise<void> {
    const { topic, partition } = payload.batch;
    let messages = payload.batch.messages;
    const { producer } = acquired;
    try {
      if (acquired.fresh) {
        // Fenced now: no older owner can commit any more, so the committed offset read after the fence is
        // final. An older owner may have committed after this member fetched its offsets at the join.
        const committed = await this.#committedOffset(topic, partition);
        if (committed !== undefined && BigInt(committed) > BigInt(messages[0].offset)) {
          messages = messages.filter((message) => BigInt(message.offset) >= BigInt(committed));
          if (messages.length === 0) {
            this.#options.seek(topic, partition, committed);
            return;
          }
        }
      }
    } catch (error) {
      await this.#retryLater(payload, messages[0].offset, error, 'producer');
      return;
    }
    const { maxBatchRecords } = this.#options.options;
    for (let start = 0; start < messages.length; start += maxBatchRecords) {
      if (this.#mustStop(payload)) return;
      const chunk = messages.slice(start, start + maxBatchRecords);
      const span = this.#options.tracing?.startTransaction(
        topic,
        partition,
        chunk.map((message) => ({ topic, partition, offset: message.offset, headers: message.headers })),
      );
      let done: boolean | TransactionFailure;
      try {
        done = await this.#runChunk(payload, producer, chunk, span);
      } catch (error) {
        span?.end(error);
        throw error;
      }
      span?.end(done instanceof TransactionFailure ? done.error : undefined);
      if (done instanceof TransactionFailure) {
        await this.#retryLater(payload, chunk[0].offset, done.error, 'transaction');
        return;
      }
      if (!done) return;
    }
    this.#failures.delete(`${topic}/${partition}`);
  }

  /**
   * Transforms `chunk` and commits it in one transaction. True when the whole chunk committed; false when
   * the batch must stop (a rebalance, a close, a poison record); a TransactionFailure to retry.
   */
  async #runChunk(
    payload: FetchedBatch,
    producer: DriverTransactionalProducer,
    chunk: readonly FetchedRecord[],
    span: ProcessSpan | undefined,
  ): Promise<boolean | TransactionFailure> {
    const tracing = span ? this.#options.tracing : undefined;
    const { topic, partition } = payload.batch;
    const outputs: TopicRecord[] = [];
    let deadLetters = 0;
    let lastHeartbeat = Date.now();
    let end = chunk.length;
    let poison: RxKafkaError | undefined;
    // A rebalance or a drain stops the transforms, but what is transformed still commits: either before the
    // partition's next owner fences this producer (which then starts after it), or not at all (fenced).
    let stopAfterCommit = false;
    for (let index = 0; index < chunk.length; index++) {
      if (this.#mustStop(payload)) {
        end = index;
        stopAfterCommit = true;
        break;
      }
      const message = chunk[index];
      try {
        const { transform } = this.#options.options;
        const consumed = { topic, partition, message };
        const result = collectOutputs(
          tracing && span ? tracing.with(span.context, () => transform(consumed)) : transform(consumed),
        );
        const produced = Array.isArray(result) ? result : await result;
        outputs.push(...(tracing && span ? traceOutputs(tracing, span, produced, false) : produced));
      } catch (error) {
        const failure = toTransformFailure(error, topic, partition, message.offset);
        const instead = this.#options.options.onTransformFailure({
          record: toRawRecord(message, topic, partition),
          error,
          failure,
        });
        if (instead === 'stop') {
          poison = failure;
          end = index;
          break;
        }
        // A dead letter carries the transaction's context, not its original's (which it copies).
        outputs.push(...(tracing && span ? traceOutputs(tracing, span, instead, true) : instead));
        deadLetters += instead.length;
      }
      if (Date.now() - lastHeartbeat >= HEARTBEAT_EVERY_MS) {
        lastHeartbeat = Date.now();
        if (!(await heartbeats(payload))) {
          end = index + 1;
          stopAfterCommit = true;
          break;
        }
      }
    }
    // An abandoning close commits nothing more: its records are left for redelivery.
    if (this.#abandoned || this.#options.dispatchMode() === 'abandon') return false;
    if (end > 0) {
      const committed = await this.#commit(producer, topic, partition, chunk[end - 1].offset, outputs);
      if (committed instanceof TransactionFailure) return committed;
      payload.resolveOffset(chunk[end - 1].offset);
      this.#stats.recordsProcessed += end;
      this.#stats.outputsProduced += outputs.length - deadLetters;
      this.#stats.deadLetters += deadLetters;
      this.#options.progress.recordsFinished(topic, partition, end, chunk[end - 1].offset);
      this.#options.options.onTransactionCommitted?.({
        topic,
        partition,
        records: end,
        outputs: outputs.length,
        durationMs: committed.durationMs,
      });
    }
    if (stopAfterCommit) return false;
    if (poison) {
      this.#stopped = true;
      this.#options.seek(topic, partition, chunk[end].offset);
      this.#options.onPoisonRecord(poison);
      return false;
    }
    return heartbeats(payload);
  }

  async #commit(
    producer: DriverTransactionalProducer,
    topic: string,
    partition: number,
    lastOffset: string,
    outputs: readonly TopicRecord[],
  ): Promise<{ durationMs: number } | TransactionFailure> {
    const began = performance.now();
    const offsets: TopicPartitionOffsets = {
      topics: [{ topic, partitions: [{ partition, offset: String(BigInt(lastOffset) + 1n) }] }],
    };
    try {
      const transaction = await producer.transaction();
      try {
        if (outputs.length > 0) await transaction.sendBatch(toProduceRequest(outputs));
        await transaction.sendOffsets(this.#options.options.groupId, offsets);
        await transaction.commit();
      } catch (error) {
        await transaction.abort().catch(() => undefined);
        throw error;
      }
    } catch (error) {
      return new TransactionFailure(error);
    }
    this.#stats.transactionsCommitted += 1;
    this.#options.onCommitted?.(offsets);
    return { durationMs: performance.now() - began };
  }

  /**
   * After a failed transaction (or producer): the producer is dropped (the next batch creates and fences a
   * new one, and reads the committed offset again), the partition's fetch goes back to `offset`, and the
   * batch returns after a backoff, heartbeating meanwhile.
   */
  async #retryLater(
    payload: FetchedBatch,
    offset: string,
    error: unknown,
    failed: 'producer' | 'transaction',
  ): Promise<void> {
    const { topic, partition } = payload.batch;
    const key = `${topic}/${partition}`;
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    if (failed === 'transaction') this.#stats.transactionsAborted += 1;
    const fenced = RxKafkaError.isRxKafkaError(error) && error.code === 'RXK_PRODUCER_FENCED';
    const { logger, retryDelayMs, maxRetryDelayMs } = this.#options.options;
    const delayMs = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** (failures - 1));
    if (fenced) {
      this.#stats.fenced += 1;
      logger.error(
        `${(error as Error).message}; records from offset ${offset} are left to the partition's owner`,
        {
          code: 'RXK_PRODUCER_FENCED',
          topic,
          partition,
          offset,
        },
      );
    } else {
      logger.warn(
        failed === 'transaction'
          ? `a transaction on ${topic}/${partition} failed: aborted, retrying from offset ${offset} in ${delayMs} ms`
          : `the transactional producer of ${topic}/${partition} could not start: retrying from offset ${offset} in ${delayMs} ms`,
        {
          error,
          topic,
          partition,
          offset,
          failures,
        },
      );
    }
    await this.#options.producers.discard(topic, partition);
    this.#options.seek(topic, partition, offset);
    const until = Date.now() + delayMs;
    while (Date.now() < until && !this.#mustStop(payload)) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(HEARTBEAT_EVERY_MS, until - Date.now())));
      if (!(await heartbeats(payload))) return;
    }
  }

  async #committedOffset(topic: string, partition: number): Promise<string | undefined> {
    const offsets = await this.#options.driver.fetchCommittedOffsets(this.#options.options.groupId, topic);
    const offset = offsets.find((entry) => entry.partition === partition)?.offset;
    return offset === undefined || BigInt(offset) < 0n ? undefined : offset;
  }

  #mustStop(payload: FetchedBatch): boolean {
    return (
      this.#stopped || this.#options.dispatchMode() !== 'running' || !payload.isRunning() || payload.isStale()
    );
  }
}

/** Heartbeats; false when the group is rebalancing (or the member was removed). */
function heartbeats(payload: FetchedBatch): Promise<boolean> {
  return payload.heartbeat().then(
    () => true,
    () => false,
  );
}

function toTransformFailure(error: unknown, topic: string, partition: number, offset: string): RxKafkaError {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new RxKafkaError(
    'RXK_TRANSFORM_FAILED',
    `the transform failed on ${topic}/${partition} at offset ${offset} (${reason})`,
    { topic, partition, cause: error },
  );
}

/** The outputs, each carrying the transaction span's context (see KafkaTracing.inject). */
function traceOutputs(
  tracing: KafkaTracing,
  span: ProcessSpan,
  outputs: readonly TopicRecord[],
  replace: boolean,
): TopicRecord[] {
  return outputs.map(({ topic, record }) => ({
    topic,
    record: tracing.inject(span.context, record, replace),
  }));
}
