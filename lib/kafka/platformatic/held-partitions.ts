/**
 * The partitions a consumer on @platformatic/kafka holds (`topic:partition` keys), as its joins and, under
 * KIP-848, its heartbeats say. Under KIP-848 @platformatic/kafka restarts every partition it holds at its
 * committed offset when it is given one more: the highest offset handed over per partition tells which
 * records of the kept partitions come again, to be dropped rather than handed over twice.
 */
import { toPartitionKey } from './partition-keys';

export class HeldPartitions {
  #held = new Set<string>();
  readonly #handedOver = new Map<string, bigint>();

  has(key: string): boolean {
    return this.#held.has(key);
  }

  keys(): ReadonlySet<string> {
    return this.#held;
  }

  /** A join's assignment: the member holds exactly these. */
  joined(assignment: Readonly<Record<string, readonly number[]>>): void {
    this.#held = new Set(
      Object.entries(assignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => toPartitionKey(topic, partition)),
      ),
    );
  }

  /** An eager rebalance or a close: the member holds nothing until the next join. */
  releaseAll(): void {
    this.#held = new Set();
  }

  /** KIP-848: the assignment the last heartbeat left. Returns the keys it took and those it gave. */
  follow(assignments: ReadonlyArray<{ readonly topic: string; readonly partitions: readonly number[] }>): {
    revoked: string[];
    assigned: string[];
  } {
    const current = new Set(
      assignments.flatMap(({ topic, partitions }) =>
        partitions.map((partition) => toPartitionKey(topic, partition)),
      ),
    );
    const revoked = [...this.#held].filter((key) => !current.has(key));
    const assigned = [...current].filter((key) => !this.#held.has(key));
    this.#held = current;
    for (const key of revoked) this.#handedOver.delete(key);
    return { revoked, assigned };
  }

  /** KIP-848: a record handed over. */
  handedOver(key: string, offset: bigint): void {
    this.#handedOver.set(key, offset);
  }

  /** KIP-848: a record read again after @platformatic/kafka restarted a kept partition. */
  isHandedOverAlready(key: string, offset: bigint): boolean {
    const last = this.#handedOver.get(key);
    return last !== undefined && offset <= last;
  }

  /** Forgets what was handed over: of one partition (a seek may rewind on purpose), or of all (a join). */
  forgetHandedOver(key?: string): void {
    if (key === undefined) this.#handedOver.clear();
    else this.#handedOver.delete(key);
  }
}
