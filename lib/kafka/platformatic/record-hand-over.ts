/**
 * Which of the records a group member's @platformatic/kafka stream fetched it hands over, and where each
 * partition reads next. The stream fetches every partition the member holds from positions of its own (its
 * `offsetsToFetch` map), with no seek and no pause per partition: a seek sets the partition's position there
 * and drops what is still on its way from the old one (SeekPositions); a paused partition's records are
 * dropped and read again from the resume (PausedPartitions); after a classic rejoin nothing is handed over
 * until the stream has set each partition to its committed offset (RejoinPositions); under KIP-848 the
 * records of a kept partition the library reads again are dropped (HeldPartitions).
 */
import { HeldPartitions } from './held-partitions';
import { PartitionBatches, type PartitionBatch } from './partition-batches';
import { toPartitionKey } from './partition-keys';
import { PausedPartitions, resumePosition } from './paused-partitions';
import type { ConsumedMessage } from './platformatic-records';
import { RejoinPositions } from './rejoin-positions';
import type { ResolvedOffsets } from './resolved-offsets';
import { SeekPositions } from './seek-positions';
import { SkippedOffsets, type SkippedRange } from './skipped-offsets';

export interface RecordHandOverSetup {
  /** The member's resolved offsets: a paused or resumed partition reads from after its last one. */
  readonly offsets: ResolvedOffsets;
  /** KIP-848's `groupProtocol: 'consumer'` rather than the classic protocol. */
  readonly incremental: boolean;
}

export class RecordHandOver {
  readonly #offsets: ResolvedOffsets;
  readonly #incremental: boolean;
  readonly #seeks = new SeekPositions();
  readonly #skipped = new SkippedOffsets();
  readonly #paused = new PausedPartitions();
  readonly #held = new HeldPartitions();
  readonly #rejoin = new RejoinPositions();
  readonly #seekCounts = new Map<string, number>();
  /** The stream's positions (its `offsetsToFetch`) while it reads. */
  #positions: Map<string, bigint> | undefined;
  /** Seeks made before the stream exists (a join's listener seeks inside `consume()`), applied once it does. */
  readonly #unappliedSeeks = new Map<string, bigint>();

  constructor({ offsets, incremental }: RecordHandOverSetup) {
    this.#offsets = offsets;
    this.#incremental = incremental;
  }

  /** How many times the partition was moved (a seek, a resume, a batch given back). */
  seeksOf(topic: string, partition: number): number {
    return this.#seekCounts.get(toPartitionKey(topic, partition)) ?? 0;
  }

  /** A new stream reads from `positions` (its `offsetsToFetch`): the seeks made before it apply to it. */
  streamStarted(positions: Map<string, bigint>): void {
    for (const [key, offset] of this.#unappliedSeeks) positions.set(key, offset);
    this.#unappliedSeeks.clear();
    this.#positions = positions;
    this.#rejoin.clear();
  }

  /** The stream and its consumer closed: the member holds nothing until the next join. */
  streamClosed(): void {
    this.#positions = undefined;
    this.#held.releaseAll();
  }

  /**
   * A join, holding `assignment`. The stream starts every partition again at the group's committed offset
   * (another member may have moved it meanwhile): a seek from before the join would skip or rewind it.
   */
  joined(assignment: Readonly<Record<string, readonly number[]>> | undefined): void {
    this.#seeks.clear();
    this.#skipped.clear();
    this.#paused.forgetDropped();
    this.#held.forgetHandedOver();
    if (assignment !== undefined) this.#held.joined(assignment);
    // Classic: the records the stream still brings of the old position wait for its new one (see
    // RejoinPositions). A first join comes before the stream exists, with nothing read yet.
    if (!this.#incremental && this.#positions) this.#rejoin.rejoined();
  }

  /** Eager rebalancing revokes every partition: records still arriving are fetched again after the join. */
  rebalancing(): void {
    this.#held.releaseAll();
  }

  /** A new consumer after a crash: it starts from its committed offsets, with nothing paused. */
  restarted(): void {
    this.#seeks.clear();
    this.#skipped.clear();
    this.#paused.clear();
    this.#held.forgetHandedOver();
  }

  /** KIP-848: the assignment the last heartbeat left. Returns the keys it took and those it gave. */
  follow(assignments: ReadonlyArray<{ readonly topic: string; readonly partitions: readonly number[] }>): {
    revoked: string[];
    assigned: string[];
  } {
    const changes = this.#held.follow(assignments);
    // A partition that comes back starts at its committed offset: nothing handed over before counts then.
    for (const key of changes.revoked) this.#seeks.forget(key);
    return changes;
  }

  /** See PausedPartitions: the partition's records are dropped until resume() seeks back to them. */
  pause(topic: string, partition: number): void {
    this.#paused.pause(toPartitionKey(topic, partition));
  }

  resume(topic: string, partition: number): void {
    const key = toPartitionKey(topic, partition);
    const firstDropped = this.#paused.resume(key);
    // Nothing dropped, nothing to read again; and a partition the member no longer holds starts at its
    // committed offset if it comes back: a seek would move that start.
    if (firstDropped === undefined || !this.#held.has(key)) return;
    const from = resumePosition({
      lastResolved: this.#offsets.lastResolved(topic, partition),
      firstHandedOver: this.#seeks.firstHandedOver(key),
      firstDropped,
      pendingSeek: this.#seeks.targetOf(key),
    });
    if (from === undefined) return;
    // The stream read the partition past the records it dropped, and a fetch from there may still be on its
    // way: read again from `from`, its first record is no later than the lowest one known to be there (the
    // first dropped, or one handed over), and a record past that is the old position's, left over.
    const known = [firstDropped, this.#seeks.firstHandedOver(key), this.#seeks.lastHandedOver(key)].filter(
      (offset): offset is bigint => offset !== undefined && offset >= from,
    );
    const lowestThere = known.reduce((low, offset) => (offset < low ? offset : low));
    this.moveTo(topic, partition, from, lowestThere + 1n);
  }

  /**
   * The partition reads next from `offset`: a seek. `leftOverFrom`, past `offset`, is where the old position's
   * records begin when the stream read past what it handed over (see SeekPositions.seek).
   */
  moveTo(topic: string, partition: number, offset: bigint, leftOverFrom?: bigint): void {
    const key = toPartitionKey(topic, partition);
    // A seek may rewind on purpose: what was handed over from there on is handed over again.
    this.#held.forgetHandedOver(key);
    this.#seekCounts.set(key, (this.#seekCounts.get(key) ?? 0) + 1);
    this.#seeks.seek(key, offset, leftOverFrom);
    this.#skipped.clear(key);
    this.#setPosition(key, offset);
  }

  /** Classic, after a rejoin: each partition held starts at the committed offset the stream has just set. */
  startFromRejoinPositions(): void {
    if (this.#positions === undefined) return;
    for (const { key, target, leftOverFrom } of this.#rejoin.offsetsSet(this.#held.keys(), this.#positions)) {
      this.#seeks.seek(key, target, leftOverFrom);
      this.#skipped.clear(key);
    }
  }

  /**
   * The records to hand over, one batch per partition: of partitions this member holds, and not left over
   * from before a seek. Runs per record read: its partition key is made once, for the choice and its batch.
   */
  selectDeliverable<M extends ConsumedMessage>(messages: readonly M[]): Array<PartitionBatch<M>> {
    const batches = new PartitionBatches<M>();
    for (const message of messages) {
      const key = toPartitionKey(message.topic, message.partition);
      if (this.#isDeliverable(key, message)) batches.add(key, message);
    }
    return batches.toArray();
  }

  /**
   * The partitions whose position the stream moved past their last record handed over (see SkippedOffsets),
   * each range once. Exact only while every record fetched so far has been handed over and handled.
   */
  findSkipped(): SkippedRange[] {
    if (this.#positions === undefined) return [];
    // A paused partition's position moves past the records it dropped: those are not skipped, they come again.
    const unpaused = [...this.#held.keys()].filter((key) => !this.#paused.has(key));
    return this.#skipped.find(this.#positions, unpaused, this.#seeks);
  }

  #isDeliverable(key: string, message: ConsumedMessage): boolean {
    this.#rejoin.read(key, message.offset);
    if (this.#rejoin.awaitingOffsets || !this.#held.has(key)) return false;
    if (this.#paused.has(key)) {
      this.#paused.dropped(key, message.offset, this.#offsets.lastResolved(message.topic, message.partition));
      return false;
    }
    if (this.#isHandedOverAlready(key, message.offset)) return false;
    const verdict = this.#seeks.verdict(key, message.offset);
    if (verdict === 'drop-and-seek-again') {
      const target = this.#seeks.targetOf(key);
      if (target !== undefined) this.#setPosition(key, target);
    }
    if (verdict === 'deliver' && this.#incremental) this.#held.handedOver(key, message.offset);
    return verdict === 'deliver';
  }

  /** KIP-848: a record read again after @platformatic/kafka restarted a kept partition (not after a seek). */
  #isHandedOverAlready(key: string, offset: bigint): boolean {
    return this.#seeks.targetOf(key) === undefined && this.#held.isHandedOverAlready(key, offset);
  }

  #setPosition(key: string, offset: bigint): void {
    if (this.#positions) this.#positions.set(key, offset);
    else this.#unappliedSeeks.set(key, offset);
  }
}
