/**
 * RSS sampled at a fixed interval, for the soak: the shape of the curve shows whether memory stays flat.
 */
export class RssSeries {
  readonly #samplesMb: number[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(everyMs = 1_000) {
    this.#timer = setInterval(
      () => this.#samplesMb.push(round1(process.memoryUsage.rss() / (1024 * 1024))),
      everyMs,
    ).unref();
  }

  /** The samples so far, in MB, oldest first. */
  get samplesMb(): readonly number[] {
    return this.#samplesMb;
  }

  /** Stops sampling and returns the samples. */
  stop(): number[] {
    clearInterval(this.#timer);
    return [...this.#samplesMb];
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
