import { measureLiveHeapMb } from './live-heap';
import type { ProcessMeter, ProcessSnapshot } from './process-meter';
import { RssSeries } from './rss-series';

/** What a worker reports of its memory over a soak; the warm-up fields stay undefined outside a soak. */
export interface SoakMemoryReport {
  /** RSS at the end of warm-up. */
  readonly rssAtWarmMb?: number;
  readonly rssEndMb: number;
  /** RSS once a second after warm-up. */
  readonly rssSeriesMb?: readonly number[];
  /** Live heap (after a full GC) at the end of warm-up and at the end (see live-heap.ts). */
  readonly heapAtWarmMb?: number;
  readonly heapEndMb?: number;
}

/** One worker's memory across a soak, the same for the server and the client role. */
export class SoakMemory {
  readonly #meter: ProcessMeter;
  #rssAtWarmMb: number | undefined;
  #heapAtWarmMb: number | undefined;
  #series: RssSeries | undefined;

  constructor(meter: ProcessMeter) {
    this.#meter = meter;
  }

  /** Warm-up ended: notes RSS and live heap, and starts sampling RSS every second. */
  markWarm(): void {
    this.#rssAtWarmMb = this.#meter.snapshot().rssMb;
    this.#heapAtWarmMb = measureLiveHeapMb();
    this.#series = new RssSeries();
  }

  /** Stops sampling; `end` is the snapshot that closes the window. */
  report(end: ProcessSnapshot): SoakMemoryReport {
    const isSoak = this.#rssAtWarmMb !== undefined;
    return {
      rssAtWarmMb: this.#rssAtWarmMb,
      rssEndMb: end.rssMb,
      rssSeriesMb: this.#series?.stop(),
      heapAtWarmMb: this.#heapAtWarmMb,
      heapEndMb: isSoak ? measureLiveHeapMb() : undefined,
    };
  }
}
