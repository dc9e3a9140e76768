/**
 * Where each partition starts again after a classic-protocol rejoin, and which records read meanwhile are
 * the old position's.
 *
 * At a join @platformatic/kafka's stream asks the group's committed offsets and sets every partition's next
 * fetch to them, then says so with its `offsets` event. But the records already in its buffer, and a fetch in
 * flight at the join, carry the member's old position, and that fetch's answer moves the position on past
 * them again. Handed over in the new generation, such a record is resolved and committed, and the records
 * between the committed offset and it, whose handling the rebalance stopped, are never read again: lost.
 *
 * So from a join until the stream's `offsets` no record is handed over. Then each partition is sought to its
 * committed offset, and the records still to come from the old position are left over: the stream reads a
 * partition in order from its last position change, so they start after the last record read.
 */
export interface RejoinSeek {
  readonly key: string;
  /** The committed offset the stream set. */
  readonly target: bigint;
  /** The first offset the old position may still bring, when one was read. */
  readonly leftOverFrom?: bigint;
}

export class RejoinPositions {
  /** Per partition, the offset of the last record read from the stream (handed over or not). */
  readonly #lastRead = new Map<string, bigint>();
  #awaitingOffsets = false;

  /** True from a rejoin until the stream has set its positions: no record is handed over meanwhile. */
  get awaitingOffsets(): boolean {
    return this.#awaitingOffsets;
  }

  /** A record read from the stream. */
  read(key: string, offset: bigint): void {
    this.#lastRead.set(key, offset);
  }

  /** A join of a member whose stream already reads. */
  rejoined(): void {
    this.#awaitingOffsets = true;
  }

  /**
   * The stream's `offsets` event: its positions now, read from `offsetsToFetch`. After a rejoin, the seeks to
   * make for the partitions the member holds; none otherwise.
   */
  offsetsSet(held: Iterable<string>, positions: ReadonlyMap<string, bigint>): RejoinSeek[] {
    if (!this.#awaitingOffsets) return [];
    this.#awaitingOffsets = false;
    const seeks: RejoinSeek[] = [];
    for (const key of held) {
      const target = positions.get(key);
      if (target === undefined) continue;
      const lastRead = this.#lastRead.get(key);
      seeks.push(lastRead === undefined ? { key, target } : { key, target, leftOverFrom: lastRead + 1n });
    }
    return seeks;
  }

  /** A new stream: nothing read yet, nothing to wait for. */
  clear(): void {
    this.#lastRead.clear();
    this.#awaitingOffsets = false;
  }
}
