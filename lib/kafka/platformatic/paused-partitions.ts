/**
 * Pausing one partition on @platformatic/kafka, whose stream fetches every partition the member holds and
 * has no pause of its own per partition (platformatic/kafka#128). A paused partition's records are dropped
 * as they arrive, never handed over; the stream's position moves on past them, to the partition's end, where
 * its fetches wait for new records. Resuming seeks the partition back to its first record not handled, so
 * every dropped record is fetched again. The cost is the paused partition's records read once and dropped
 * (each time it is paused), and a fetch of each record written while it stays paused.
 */
export class PausedPartitions {
  /** Per paused partition (`topic:partition`), the first offset dropped since the pause or the last join. */
  readonly #paused = new Map<string, bigint | undefined>();

  has(key: string): boolean {
    return this.#paused.has(key);
  }

  keys(): IterableIterator<string> {
    return this.#paused.keys();
  }

  pause(key: string): void {
    if (!this.#paused.has(key)) this.#paused.set(key, undefined);
  }

  /**
   * A record of a paused partition, dropped. One at or below `lastResolved` (the partition's last resolved
   * offset) was handled already: the stream read a stretch twice (two seeks to one offset, each answered by
   * a fetch: a batch's seek back to its first unresolved record, and the resume before it), and this second
   * read came while the partition was paused again. It is not counted: the resume would read from it and hand
   * the records from there to the last resolved one over again.
   */
  dropped(key: string, offset: bigint, lastResolved?: bigint): void {
    if (lastResolved !== undefined && offset <= lastResolved) return;
    const first = this.#paused.get(key);
    if (first === undefined || offset < first) this.#paused.set(key, offset);
  }

  /** Ends the pause; returns the first offset dropped during it, if any. */
  resume(key: string): bigint | undefined {
    const first = this.#paused.get(key);
    this.#paused.delete(key);
    return first;
  }

  /** A join: the stream starts each partition again at its committed offset, so nothing dropped is ahead. */
  forgetDropped(): void {
    for (const key of this.#paused.keys()) this.#paused.set(key, undefined);
  }

  clear(): void {
    this.#paused.clear();
  }
}

/**
 * Where a resumed partition reads from: its first record not handled. That is after its last resolved
 * offset, or (with none resolved since the join) its first record handed over; no later than the first
 * record dropped during the pause, nor than a seek still waiting (a batch given back unresolved).
 */
export function resumePosition(candidates: {
  readonly lastResolved: bigint | undefined;
  readonly firstHandedOver: bigint | undefined;
  readonly firstDropped: bigint | undefined;
  readonly pendingSeek: bigint | undefined;
}): bigint | undefined {
  const { lastResolved, firstHandedOver, firstDropped, pendingSeek } = candidates;
  const fromHandled = lastResolved !== undefined ? lastResolved + 1n : firstHandedOver;
  const defined = [fromHandled, firstDropped, pendingSeek].filter((offset) => offset !== undefined);
  if (defined.length === 0) return undefined;
  return defined.reduce((low, offset) => (offset < low ? offset : low));
}
