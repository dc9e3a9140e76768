/**
 * A paced stream of numbered events for the broker fault specs: it keeps publishing through a broker
 * outage and counts only the events whose publication was acknowledged.
 */
import { sleep } from './eventually';

/** One event of the stream. */
export interface NumberedEvent {
  readonly id: number;
}

export interface EventStreamOptions {
  /** Publishes a batch of events; resolves once Kafka acknowledged all of them. */
  readonly publish: (events: NumberedEvent[]) => Promise<void>;
  readonly events: number;
  /** Events per publication. */
  readonly batchSize: number;
  /** Pause between publications, so the stream is still running when the fault comes. */
  readonly pauseMs: number;
}

/** What the stream did: the ids acknowledged, and the publications that failed. */
export interface EventStreamResult {
  readonly acknowledged: ReadonlySet<number>;
  readonly failedPublications: number;
}

/** Publishes events `{ id }` with ids 0…events-1, in order, one batch at a time. */
export class EventStream {
  readonly #options: EventStreamOptions;
  readonly #acknowledged = new Set<number>();
  #failedPublications = 0;

  constructor(options: EventStreamOptions) {
    this.#options = options;
  }

  /** Runs the whole stream; never rejects (a failed publication is counted, its ids are not acknowledged). */
  async run(): Promise<EventStreamResult> {
    const { publish, events, batchSize, pauseMs } = this.#options;
    for (let start = 0; start < events; start += batchSize) {
      const batch = Array.from({ length: Math.min(batchSize, events - start) }, (_, i) => ({
        id: start + i,
      }));
      try {
        await publish(batch);
        for (const { id } of batch) this.#acknowledged.add(id);
      } catch {
        this.#failedPublications += 1;
      }
      await sleep(pauseMs);
    }
    return { acknowledged: this.#acknowledged, failedPublications: this.#failedPublications };
  }
}
