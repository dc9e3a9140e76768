/**
 * Measures the process it runs in: CPU time over a window and the peak resident set size, sampled, so that
 * every implementation's figures come from its own process and nothing else.
 */

const MB = 1024 * 1024;

/** A point in the process's life: CPU used so far and the RSS at that moment. */
export interface ProcessSnapshot {
  readonly atMs: number;
  readonly cpu: NodeJS.CpuUsage;
  readonly rssMb: number;
}

/** Samples RSS every `sampleMs` (and at every snapshot) to keep the peak; call stop() before exiting. */
export class ProcessMeter {
  #peakRssMb = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(sampleMs = 100) {
    this.#sampleRss();
    // unref: the sampler must never keep a finished worker alive.
    this.#timer = setInterval(() => this.#sampleRss(), sampleMs).unref();
  }

  /** The largest RSS seen so far, in MB. */
  get peakRssMb(): number {
    return this.#peakRssMb;
  }

  /** Takes a snapshot now (and counts its RSS towards the peak). */
  snapshot(): ProcessSnapshot {
    return { atMs: performance.now(), cpu: process.cpuUsage(), rssMb: this.#sampleRss() };
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.#timer);
  }

  #sampleRss(): number {
    const rssMb = process.memoryUsage.rss() / MB;
    if (rssMb > this.#peakRssMb) this.#peakRssMb = rssMb;
    return rssMb;
  }
}

/** CPU seconds (user + system) spent between two snapshots. */
export function toCpuSeconds(from: ProcessSnapshot, to: ProcessSnapshot): number {
  return (to.cpu.user - from.cpu.user + to.cpu.system - from.cpu.system) / 1e6;
}
