/**
 * Per partition, the offsets commits must not pass while records of batches that already returned to the
 * consumer still wait for their replies to be acknowledged. The consumer's own resolved offset is then
 * its fetch position only: it moves past such records so the partition (and every partition fetched with
 * it) keeps flowing, and the committer commits at most the lowest hold of each partition.
 */

/** One returned batch's unfinished records: the lowest one's offset ("the next offset to read"). */
export interface CommitHold {
  /** The lowest unfinished record's offset; commits stay at or below it. */
  readonly offset: string;
  /** True once a new group generation or a rewind made it void: it changes nothing any more. */
  readonly cancelled: boolean;
  /** The lowest unfinished record is now at `offset` (higher than before). */
  moveTo(offset: string): void;
  /** Every record of the hold finished: commits may pass it. */
  release(): void;
}

class Hold implements CommitHold {
  offset: string;
  cancelled = false;
  readonly #onRelease: (hold: Hold) => void;

  constructor(offset: string, onRelease: (hold: Hold) => void) {
    this.offset = offset;
    this.#onRelease = onRelease;
  }

  moveTo(offset: string): void {
    if (!this.cancelled) this.offset = offset;
  }

  release(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.#onRelease(this);
  }
}

/** The holds of every partition, by `topic/partition`. */
export class CommitHolds {
  readonly #holds = new Map<string, Set<Hold>>();
  /** Partitions sent back to an offset (a reply failed): commits stay there until the records return. */
  readonly #rewinds = new Map<string, bigint>();

  /** Opens a hold at `offset` for a batch that returns with unfinished records. */
  open(topic: string, partition: number, offset: string): CommitHold {
    const key = toKey(topic, partition);
    let holds = this.#holds.get(key);
    if (!holds) this.#holds.set(key, (holds = new Set()));
    const hold = new Hold(offset, (released) => this.#drop(key, released));
    holds.add(hold);
    return hold;
  }

  /**
   * The highest offset a commit of the partition may carry now, or undefined when nothing holds it: the
   * lowest hold, or the offset it was rewound to.
   */
  floorOf(topic: string, partition: number): string | undefined {
    const key = toKey(topic, partition);
    let floor = this.#rewinds.get(key);
    for (const hold of this.#holds.get(key) ?? []) {
      const offset = BigInt(hold.offset);
      if (floor === undefined || offset < floor) floor = offset;
    }
    return floor?.toString();
  }

  /**
   * The partition is sent back to `offset` (a record there must be redelivered): holds at or above it
   * are void (their records come again), and commits stay at `offset` until a batch from there arrives.
   */
  rewind(topic: string, partition: number, offset: string): void {
    const key = toKey(topic, partition);
    const target = BigInt(offset);
    for (const hold of this.#holds.get(key) ?? []) {
      if (BigInt(hold.offset) >= target) this.#cancel(key, hold);
    }
    const previous = this.#rewinds.get(key);
    if (previous === undefined || target < previous) this.#rewinds.set(key, target);
  }

  /** A batch of the partition starting at `firstOffset` arrived: a rewind to it or beyond has taken effect. */
  arrived(topic: string, partition: number, firstOffset: string): void {
    const key = toKey(topic, partition);
    const rewind = this.#rewinds.get(key);
    if (rewind !== undefined && BigInt(firstOffset) <= rewind) this.#rewinds.delete(key);
  }

  /**
   * A new group generation: the consumer fetches every partition it owns from the committed offset again,
   * which no hold ever let pass an unfinished record, so every hold and rewind is void.
   */
  clear(): void {
    for (const [key, holds] of this.#holds) for (const hold of holds) this.#cancel(key, hold);
    this.#rewinds.clear();
  }

  #cancel(key: string, hold: Hold): void {
    hold.cancelled = true;
    this.#drop(key, hold);
  }

  #drop(key: string, hold: Hold): void {
    const holds = this.#holds.get(key);
    holds?.delete(hold);
    if (holds?.size === 0) this.#holds.delete(key);
  }
}

function toKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}
