/** The callers of `Projection.waitFor()`, each waiting until the projection has applied given offsets. */
import { RxKafkaError } from '../errors';

/**
 * Offsets a producer got back, as `waitFor()` takes them: kafkajs's `RecordMetadata` list
 * (`{ topicName, partition, baseOffset }`) as `send()` returns it, or `{ partition, offset }` entries.
 * A `baseOffset` is the first record of what was sent to that partition: to wait for a whole multi-record
 * batch, pass its last offset.
 */
export type WrittenOffsets = ReadonlyArray<
  | { readonly partition: number; readonly offset: string | number; readonly topic?: string }
  | { readonly partition: number; readonly baseOffset?: string; readonly topicName?: string }
>;

interface Waiter {
  /** Per partition, the offset that must have been applied. */
  readonly targets: ReadonlyMap<number, bigint>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly timer: ReturnType<typeof setTimeout> | undefined;
}

/** Turns what a producer returned into per-partition targets; throws RXK_INVALID_OPTIONS on anything else. */
export function toTargets(offsets: WrittenOffsets, topic: string): Map<number, bigint> {
  if (!Array.isArray(offsets)) {
    throw new RxKafkaError(
      'RXK_INVALID_OPTIONS',
      'waitFor() takes a list of { partition, offset } (or what producer.send() returned)',
      { path: 'offsets' },
    );
  }
  const targets = new Map<number, bigint>();
  for (const entry of offsets as ReadonlyArray<Record<string, unknown>>) {
    const other = entry?.topicName ?? entry?.topic;
    if (other !== undefined && other !== topic) {
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        `waitFor() got an offset of topic ${String(other)}, but the projection reads ${topic}`,
        { topic, path: 'offsets' },
      );
    }
    const partition = entry?.partition;
    const offset = entry?.offset ?? entry?.baseOffset;
    const valid =
      typeof partition === 'number' &&
      Number.isSafeInteger(partition) &&
      partition >= 0 &&
      ((typeof offset === 'string' && /^\d+$/.test(offset)) ||
        (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0));
    if (!valid) {
      throw new RxKafkaError(
        'RXK_INVALID_OPTIONS',
        `waitFor() needs { partition, offset } entries with whole numbers, got ${JSON.stringify(entry)}`,
        { topic, path: 'offsets' },
      );
    }
    const wanted = BigInt(offset as string | number);
    if (wanted > (targets.get(partition) ?? -1n)) targets.set(partition, wanted);
  }
  return targets;
}

/** Waiters on applied offsets; `applied(partition)` settles those the partition's new position satisfies. */
export class OffsetWaiters {
  readonly #waiters = new Set<Waiter>();
  readonly #positions: ReadonlyMap<number, bigint>;

  /** `positions`: per partition the next offset not applied yet, kept up to date by the projection. */
  constructor(positions: ReadonlyMap<number, bigint>) {
    this.#positions = positions;
  }

  /** Resolves once every target is applied; rejects with `onTimeout()` after `timeoutMs` (0: never). */
  wait(
    targets: ReadonlyMap<number, bigint>,
    timeoutMs: number,
    onTimeout: () => RxKafkaError,
  ): Promise<void> {
    if (this.#isApplied(targets)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        targets,
        resolve,
        reject,
        timer:
          timeoutMs > 0
            ? setTimeout(() => {
                this.#waiters.delete(waiter);
                reject(onTimeout());
              }, timeoutMs)
            : undefined,
      };
      this.#waiters.add(waiter);
    });
  }

  /** Settles the waiters that `partition`'s new position satisfies. */
  applied(partition: number): void {
    if (this.#waiters.size === 0) return;
    for (const waiter of this.#waiters) {
      if (!waiter.targets.has(partition) || !this.#isApplied(waiter.targets)) continue;
      this.#settle(waiter);
      waiter.resolve();
    }
  }

  /** Rejects every waiter with `error` (close, or a failed projection). */
  rejectAll(error: unknown): void {
    for (const waiter of [...this.#waiters]) {
      this.#settle(waiter);
      waiter.reject(error);
    }
  }

  #settle(waiter: Waiter): void {
    this.#waiters.delete(waiter);
    if (waiter.timer) clearTimeout(waiter.timer);
  }

  #isApplied(targets: ReadonlyMap<number, bigint>): boolean {
    for (const [partition, offset] of targets) {
      if ((this.#positions.get(partition) ?? 0n) <= offset) return false;
    }
    return true;
  }
}
