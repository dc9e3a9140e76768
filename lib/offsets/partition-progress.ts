/**
 * Where each partition's records stand: fetched and in flight, finished (the prefix whose offsets are
 * resolved), committed, and how far behind the partition's end. The batch runner and the connection write
 * it with plain field updates at batch boundaries (never an event or an allocation per record); the
 * partition actors read it when they sample (see lib/connection/partition-machine.ts).
 */

/** An error reduced to what survives `JSON.stringify`. */
export interface ProgressError {
  readonly name: string;
  readonly message: string;
}

function toProgressError(error: unknown): ProgressError {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** One partition's progress, as a partition actor shows it. */
export interface PartitionProgressSample {
  /** Records of running batches not finished yet. */
  readonly inFlight: number;
  /** The newest offset of the finished prefix (its record and all before it are done). */
  readonly finishedOffset?: string;
  /** The last committed offset ("the next offset to read", as Kafka stores it). */
  readonly committedOffset?: string;
  /** The partition's end offset at the last fetch. */
  readonly highWatermark?: string;
  /** Records between the finished prefix and the end offset at the last fetch. */
  readonly lag?: number;
  /** Epoch milliseconds since which a record of this partition has been in flight; absent when none is. */
  readonly inFlightSince?: number;
  /** The last batch failure (a rebalance, a produce failure, an abandoning close). */
  readonly lastError?: ProgressError;
  /** Batches handed over so far: tells a sampler whether anything changed. */
  readonly batches: number;
}

class PartitionProgress {
  inFlight = 0;
  finishedOffset: string | undefined;
  committedOffset: string | undefined;
  /** Epoch milliseconds when the committed offset last moved (a commit of the same offset is no move). */
  committedAt: number | undefined;
  highWatermark: string | undefined;
  inFlightSince: number | undefined;
  lastError: ProgressError | undefined;
  batches = 0;
  /** The running batch's records, and how many of them finished (kafkajs runs one batch per partition). */
  batchRecords = 0;
  batchFinished = 0;
  /** Changes since the last sample: a partition nobody touched is not sampled again. */
  version = 0;
}

/** The progress of every partition a connection consumes, by `topic/partition`. */
export class PartitionProgressBook {
  // topic → progress by partition number: looked up per batch and per resolve, so no key is built.
  readonly #topics = new Map<string, Array<PartitionProgress | undefined>>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A batch of `records` records was handed to the runtime. */
  batchStarted(topic: string, partition: number, records: number, highWatermark: string): void {
    const progress = this.#entry(topic, partition);
    if (progress.inFlight === 0) progress.inFlightSince = this.#now();
    progress.inFlight += records;
    progress.batchRecords = records;
    progress.batchFinished = 0;
    progress.highWatermark = highWatermark;
    progress.batches += 1;
    progress.version += 1;
  }

  /** `records` more records of the partition are finished, up to and including `offset`. */
  recordsFinished(topic: string, partition: number, records: number, offset: string): void {
    const progress = this.#entry(topic, partition);
    progress.inFlight = Math.max(0, progress.inFlight - records);
    progress.batchFinished += records;
    progress.finishedOffset = offset;
    if (progress.inFlight === 0) progress.inFlightSince = undefined;
    progress.version += 1;
  }

  /**
   * The running batch returned (after `error`, if it failed): its records not reported finished are no
   * longer in flight here (they are redelivered, or, for a consumer that does not report finishes, done).
   */
  batchEnded(topic: string, partition: number, error?: unknown): void {
    const progress = this.#entry(topic, partition);
    const unfinished = Math.max(0, progress.batchRecords - progress.batchFinished);
    progress.batchRecords = 0;
    progress.batchFinished = 0;
    progress.inFlight = Math.max(0, progress.inFlight - unfinished);
    if (progress.inFlight === 0) progress.inFlightSince = undefined;
    if (error !== undefined) progress.lastError = toProgressError(error);
    progress.version += 1;
  }

  /** Kafka took a commit of `offset` for the partition. */
  committed(topic: string, partition: number, offset: string): void {
    const progress = this.#entry(topic, partition);
    if (progress.committedOffset !== offset) progress.committedAt = this.#now();
    progress.committedOffset = offset;
    progress.version += 1;
  }

  /** The partition's progress now, with the version it has reached (see versionOf). */
  sample(topic: string, partition: number): PartitionProgressSample & { version: number } {
    const progress = this.#entry(topic, partition);
    const lag =
      progress.highWatermark === undefined
        ? undefined
        : Math.max(
            0,
            Number(progress.highWatermark) -
              (progress.finishedOffset === undefined
                ? Number(progress.committedOffset ?? progress.highWatermark)
                : Number(progress.finishedOffset) + 1),
          );
    return {
      inFlight: progress.inFlight,
      ...(progress.finishedOffset === undefined ? {} : { finishedOffset: progress.finishedOffset }),
      ...(progress.committedOffset === undefined ? {} : { committedOffset: progress.committedOffset }),
      ...(progress.highWatermark === undefined ? {} : { highWatermark: progress.highWatermark }),
      ...(lag === undefined ? {} : { lag }),
      ...(progress.inFlightSince === undefined ? {} : { inFlightSince: progress.inFlightSince }),
      ...(progress.lastError === undefined ? {} : { lastError: progress.lastError }),
      batches: progress.batches,
      version: progress.version,
    };
  }

  /**
   * Epoch milliseconds when the partition's committed offset last moved here; undefined before its first
   * commit. Not part of a sample: it changes nothing a partition actor shows, only how long it stood still.
   */
  committedAt(topic: string, partition: number): number | undefined {
    return this.#topics.get(topic)?.[partition]?.committedAt;
  }

  /** The version a sample would carry now, without building one. */
  versionOf(topic: string, partition: number): number {
    return this.#topics.get(topic)?.[partition]?.version ?? 0;
  }

  /** Forgets a partition this member no longer owns (its next owner starts its own record). */
  forget(topic: string, partition: number): void {
    const partitions = this.#topics.get(topic);
    if (partitions) partitions[partition] = undefined;
  }

  #entry(topic: string, partition: number): PartitionProgress {
    let partitions = this.#topics.get(topic);
    if (!partitions) {
      partitions = [];
      this.#topics.set(topic, partitions);
    }
    let progress = partitions[partition];
    if (!progress) {
      progress = new PartitionProgress();
      partitions[partition] = progress;
    }
    return progress;
  }
}
