/**
 * Tracks which records of one batch have finished, so the committed offset never passes an unfinished one:
 * with key-ordered concurrency, records finish out of order, and only the highest offset below which every
 * record is done may be resolved (Parallel Consumer and SmallRye's `throttled` strategy do the same).
 */
export class OffsetTracker {
  readonly #offsets: readonly string[];
  readonly #done: boolean[];
  #next = 0;

  /** `offsets`: the batch's offsets in order. */
  constructor(offsets: readonly string[]) {
    this.#offsets = offsets;
    this.#done = offsets.map(() => false);
  }

  /**
   * Marks the record at `index` finished. Returns the offset to resolve when the contiguous finished prefix
   * grew (its last offset), else `undefined`.
   */
  complete(index: number): string | undefined {
    this.#done[index] = true;
    const before = this.#next;
    while (this.#next < this.#done.length && this.#done[this.#next]) this.#next += 1;
    return this.#next > before ? this.#offsets[this.#next - 1] : undefined;
  }

  /** The offset of the first record not finished, or undefined when all are. */
  get firstUnfinished(): string | undefined {
    return this.#offsets[this.#next];
  }

  /** How many records from the start are finished. */
  get finishedPrefix(): number {
    return this.#next;
  }
}
