/**
 * Tells each partition actor of its partition's progress, once per interval and only when it changed, so
 * that the actors never hear of a record or a batch (see partition-machine.ts).
 */
import type { PartitionProgressBook } from '../offsets/partition-progress';
import type { PartitionActor } from './partition-machine';

/** How often the partition actors are told of their partitions' progress (only when it changed). */
export const PARTITION_SAMPLE_EVERY_MS = 1_000;

export class PartitionSampler {
  readonly #progress: PartitionProgressBook;
  readonly #actors: () => PartitionActor[];
  /** The progress version each partition actor was last told of, and its partition. */
  readonly #sampled = new Map<string, { version: number; topic: string; partition: number }>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(progress: PartitionProgressBook, actors: () => PartitionActor[]) {
    this.#progress = progress;
    this.#actors = actors;
  }

  /** Samples every `intervalMs` until stop(); the timer never keeps the process alive. */
  start(intervalMs: number): void {
    this.stop();
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Tells each partition actor of its partition's progress, if it changed since it was last told. */
  sample(at = Date.now()): void {
    const seen = new Set<string>();
    for (const actor of this.#actors()) {
      seen.add(actor.id);
      const { topic, partition } = actor.getSnapshot().context;
      const version = this.#progress.versionOf(topic, partition);
      if (this.#sampled.get(actor.id)?.version === version) continue;
      this.#sampled.set(actor.id, { version, topic, partition });
      const { version: _version, ...progress } = this.#progress.sample(topic, partition);
      actor.send({ type: 'partition.sampled', progress, at });
    }
    // A partition whose actor is gone was revoked: its figures go too, and its next owner starts afresh.
    for (const [id, { topic, partition }] of this.#sampled) {
      if (seen.has(id)) continue;
      this.#sampled.delete(id);
      this.#progress.forget(topic, partition);
    }
  }
}
