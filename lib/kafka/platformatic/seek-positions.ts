/**
 * Seeks on @platformatic/kafka's stream, which has none of its own. A seek sets the partition's next fetch
 * offset in the stream (its `offsetsToFetch` map), but a fetch already in flight, and records already in the
 * stream's buffer, still carry the old position: this says which records read after a seek are the new
 * position's and which are left over, to be dropped.
 *
 * - A forward seek (to past every record handed over): records below the target are left over.
 * - A rewind (to a record already handed over): records at or past the old position are left over, and a
 *   fetch that answered after the seek moved the stream's position on again, so the seek is applied again.
 * The first record at or past the target that is not left over ends the seek. A seek made, or applied again,
 * after the new position's records were fetched (they wait in the stream's buffer) makes the stream read that
 * stretch twice: after a seek, a record at or below the last one handed over since the seek ended is such a
 * second read, and dropped. (Without a seek since the join, records read again are the join's own restart.)
 */
export type SeekVerdict = 'deliver' | 'drop' | 'drop-and-seek-again';

interface PendingSeek {
  readonly target: bigint;
  /** For a rewind: the next offset of the old position; records from there on are left over. */
  readonly leftOverFrom?: bigint;
}

export class SeekPositions {
  readonly #pending = new Map<string, PendingSeek>();
  /** Per partition, the highest offset handed over. */
  readonly #handedOver = new Map<string, bigint>();
  /** Per partition, the first offset handed over. */
  readonly #firstHandedOver = new Map<string, bigint>();
  /** The partitions sought since the last `clear()`: the stream may read a stretch of them twice. */
  readonly #readTwice = new Set<string>();

  /**
   * A seek of the partition `key` to `target`. `leftOverFrom`, past the target, says where the old position's
   * records begin when the stream read past what it handed over (a paused partition's records, dropped): a
   * seek below it rewinds even when it is past every record handed over.
   */
  seek(key: string, target: bigint, leftOverFrom?: bigint): void {
    if (leftOverFrom !== undefined && leftOverFrom > target) {
      this.#pending.set(key, { target, leftOverFrom });
      return;
    }
    const handedOver = this.#handedOver.get(key);
    const rewind = handedOver !== undefined && target <= handedOver;
    this.#pending.set(key, rewind ? { target, leftOverFrom: handedOver + 1n } : { target });
  }

  /** What to do with a record of the partition `key` at `offset`, read from the stream. */
  verdict(key: string, offset: bigint): SeekVerdict {
    const pending = this.#pending.get(key);
    if (pending !== undefined) {
      if (offset < pending.target) return 'drop';
      if (pending.leftOverFrom !== undefined && offset >= pending.leftOverFrom) return 'drop-and-seek-again';
      this.#pending.delete(key);
      // What was handed over before the seek comes again from here on, on purpose; counted anew.
      this.#handedOver.delete(key);
      this.#readTwice.add(key);
    }
    const handedOver = this.#handedOver.get(key);
    // Read again with no seek waiting, after a seek: a stretch read twice (see the top of this file).
    if (this.#readTwice.has(key) && handedOver !== undefined && offset <= handedOver) return 'drop';
    if (handedOver === undefined || offset > handedOver) this.#handedOver.set(key, offset);
    const first = this.#firstHandedOver.get(key);
    if (first === undefined || offset < first) this.#firstHandedOver.set(key, offset);
    return 'deliver';
  }

  /** The highest offset handed over since the last `clear()` or the end of the last seek. */
  lastHandedOver(key: string): bigint | undefined {
    return this.#handedOver.get(key);
  }

  /** The first offset handed over since the last `clear()`. */
  firstHandedOver(key: string): bigint | undefined {
    return this.#firstHandedOver.get(key);
  }

  /** True while a seek of the partition `key` waits for its first record at or past the target. */
  isSeeking(key: string): boolean {
    return this.#pending.has(key);
  }

  /** The target of a seek not yet ended, to apply again. */
  targetOf(key: string): bigint | undefined {
    return this.#pending.get(key)?.target;
  }

  /** Forgets the seek and position of one partition: the member no longer holds it (KIP-848). */
  forget(key: string): void {
    this.#pending.delete(key);
    this.#handedOver.delete(key);
    this.#firstHandedOver.delete(key);
    this.#readTwice.delete(key);
  }

  /** Forgets every seek and position: a new consumer starts from its committed offsets. */
  clear(): void {
    this.#pending.clear();
    this.#handedOver.clear();
    this.#firstHandedOver.clear();
    this.#readTwice.clear();
  }
}
