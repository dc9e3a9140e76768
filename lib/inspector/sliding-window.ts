/**
 * Durations of the last `windowMs` (at most `maxSamples` of them), and their percentiles. A handler runs a
 * few thousand times a minute at most per process, so sorting a copy when someone asks costs less than
 * keeping a sketch up to date on every run, and gives exact figures.
 */
export class SlidingWindow {
  readonly #windowMs: number;
  readonly #maxSamples: number;
  /** Samples oldest first: [epoch milliseconds, value]. */
  readonly #samples: Array<readonly [number, number]> = [];
  /** The index of the oldest sample still kept; the array is compacted when half of it is dropped. */
  #start = 0;

  constructor(windowMs: number, maxSamples = 10_000) {
    this.#windowMs = windowMs;
    this.#maxSamples = maxSamples;
  }

  add(at: number, value: number): void {
    this.#samples.push([at, value]);
    if (this.#samples.length - this.#start > this.#maxSamples) this.#start += 1;
    this.#compact();
  }

  /** The values of samples taken after `now - windowMs`. */
  values(now: number): number[] {
    this.#drop(now);
    const values: number[] = [];
    for (let index = this.#start; index < this.#samples.length; index++) values.push(this.#samples[index][1]);
    return values;
  }

  /**
   * The nearest-rank percentiles (`ranks` in 0–100) of the window's values, or undefined each when the
   * window is empty.
   */
  percentiles(now: number, ranks: readonly number[]): Array<number | undefined> {
    const sorted = this.values(now).sort((a, b) => a - b);
    return ranks.map((rank) => (sorted.length === 0 ? undefined : sorted[nearestRank(rank, sorted.length)]));
  }

  #drop(now: number): void {
    const from = now - this.#windowMs;
    while (this.#start < this.#samples.length && this.#samples[this.#start][0] <= from) this.#start += 1;
    this.#compact();
  }

  #compact(): void {
    if (this.#start > 1024 && this.#start * 2 > this.#samples.length) {
      this.#samples.splice(0, this.#start);
      this.#start = 0;
    }
  }
}

/** The index of the `rank`th percentile among `count` sorted values (nearest rank, 1-based in the books). */
function nearestRank(rank: number, count: number): number {
  return Math.min(count - 1, Math.max(0, Math.ceil((rank / 100) * count) - 1));
}
