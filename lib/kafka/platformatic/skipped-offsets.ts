/**
 * The offsets @platformatic/kafka's stream passed without handing a record over. A fetch that ends in
 * transaction markers (or holds nothing else) moves the stream's next fetch offset past them, and no record
 * comes out: a reader that waits for an end offset (`replay()` in 'caught-up' mode) would wait for ever on a
 * partition whose last offset is a commit marker. kafkajs says so with an empty batch; this is the same fact
 * for this driver, as the port's `records.skipped` event.
 *
 * The answer is exact only when nothing fetched is still on its way to the handlers: the consumer asks while
 * its reader waits on an empty stream, so every offset below a partition's position was either handed over
 * or never pushed. A partition with a seek not yet ended is left out (a fetch from before the seek may still
 * answer), and so is one with nothing handed over since the last join (its start is not known).
 */
export interface SkippedRange {
  /** The partition's key, `topic:partition`. */
  readonly key: string;
  /** The last offset passed: the stream's next fetch offset − 1. */
  readonly lastOffset: bigint;
}

/** What the consumer knows of one partition when it asks. */
export interface PartitionReading {
  /** The highest offset handed over since the last join or restart. */
  lastHandedOver(key: string): bigint | undefined;
  /** True while a seek of the partition waits for its first record. */
  isSeeking(key: string): boolean;
}

export class SkippedOffsets {
  /** Per partition, the last offset already reported: each range is told once. */
  readonly #reported = new Map<string, bigint>();

  /**
   * The partitions of `keys` whose stream position (`positions`, the stream's `offsetsToFetch`) is past the
   * next offset after their last handed-over record.
   */
  find(
    positions: ReadonlyMap<string, bigint>,
    keys: Iterable<string>,
    reading: PartitionReading,
  ): SkippedRange[] {
    const skipped: SkippedRange[] = [];
    for (const key of keys) {
      const position = positions.get(key);
      const handedOver = reading.lastHandedOver(key);
      if (position === undefined || handedOver === undefined || reading.isSeeking(key)) continue;
      const lastOffset = position - 1n;
      if (lastOffset <= handedOver) continue;
      const reported = this.#reported.get(key);
      if (reported !== undefined && lastOffset <= reported) continue;
      this.#reported.set(key, lastOffset);
      skipped.push({ key, lastOffset });
    }
    return skipped;
  }

  /** Forgets what was reported: after a join, a seek or a restart, positions start again. */
  clear(key?: string): void {
    if (key === undefined) this.#reported.clear();
    else this.#reported.delete(key);
  }
}
