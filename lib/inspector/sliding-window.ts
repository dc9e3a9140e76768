/**
 * Durations of the last `windowMs` (at most `maxSamples` of them), and their percentiles. Sorting a copy
 * when someone asks costs less than keeping a sketch up to date on every run, and gives exact figures.
 * Samples go into two fixed ring buffers of numbers: adding one (once per handler run, up to a hundred
 * thousand a second) allocates nothing.
 */
export class SlidingWindow {
  readonly #windowMs: number;
  readonly #maxSamples: number;
  /** Epoch milliseconds and values, a ring: the oldest kept at `#start`, `#count` of them. */
  readonly #times: Float64Array;
  readonly #values: Float64Array;
  #start = 0;
  #count = 0;

  constructor(windowMs: number, maxSamples = 10_000) {
    this.#windowMs = windowMs;
    this.#maxSamples = maxSamples;
    this.#times = new Float64Array(maxSamples);
    this.#values = new Float64Array(maxSamples);
  }

  add(at: number, value: number): void {
    const index = (this.#start + this.#count) % this.#maxSamples;
    this.#times[index] = at;
    this.#values[index] = value;
    if (this.#count < this.#maxSamples) this.#count += 1;
    else this.#start = (this.#start + 1) % this.#maxSamples;
  }

  /** The values of samples taken after `now - windowMs`, oldest first. */
  values(now: number): number[] {
    this.#drop(now);
    const values: number[] = new Array<number>(this.#count);
    for (let offset = 0; offset < this.#count; offset++) {
      values[offset] = this.#values[(this.#start + offset) % this.#maxSamples];
    }
    return values;
  }

  /**
   * The nearest-rank percentiles (`ranks` in 0–100) of the window's values, or undefined each when the
   * window is empty.
   */
  percentiles(now: number, ranks: readonly number[]): Array<number | undefined> {
    // A typed array sorts numerically in native code, far faster than a comparator over a plain array.
    const sorted = Float64Array.from(this.values(now)).sort();
    return ranks.map((rank) => (sorted.length === 0 ? undefined : sorted[nearestRank(rank, sorted.length)]));
  }

  #drop(now: number): void {
    const from = now - this.#windowMs;
    while (this.#count > 0 && this.#times[this.#start] <= from) {
      this.#start = (this.#start + 1) % this.#maxSamples;
      this.#count -= 1;
    }
  }
}

/** The index of the `rank`th percentile among `count` sorted values (nearest rank, 1-based in the books). */
function nearestRank(rank: number, count: number): number {
  return Math.min(count - 1, Math.max(0, Math.ceil((rank / 100) * count) - 1));
}
