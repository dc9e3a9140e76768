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
  /**
   * By actor id: the actor last told, the progress version it was told of, and its partition. The actor is
   * kept because a partition that leaves and comes back between two samples gets a new actor under the
   * same id, which starts idle and must be told even if its partition's progress did not change (a record
   * stuck in flight changes nothing).
   */
  readonly #sampled = new Map<
    string,
    { actor: PartitionActor; version: number; topic: string; partition: number }
  >();
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
      const last = this.#sampled.get(actor.id);
      if (last?.actor === actor && last.version === version) continue;
      this.#sampled.set(actor.id, { actor, version, topic, partition });
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
