/** What became of a commit: the library answered it, or a join withdrew it first. */
export type CommitOutcome = 'taken' | 'withdrawn';

interface CommitInFlight<T> {
  /** The array the library was handed: emptied in place when the commit is withdrawn. */
  readonly offsets: T[];
  withdrawn: boolean;
}

/**
 * The commits handed to @platformatic/kafka and not answered yet, which a join withdraws.
 *
 * When the broker refuses a commit because the group is rebalancing (REBALANCE_IN_PROGRESS,
 * ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID), @platformatic/kafka rejoins the group and sends the same offsets
 * again, as a member of the new generation. Those offsets were resolved in the old generation: a partition
 * now another member's would be set back below what that member committed since, and stay there once that
 * member has nothing more to commit (its records all handled). The library reads the request's `offsets`
 * array again for each send, so emptying it in place at the join makes the send after the rejoin carry
 * nothing; the caller learns that its commit was withdrawn, not taken.
 */
export class WithdrawableCommits<T> {
  readonly #inFlight = new Set<CommitInFlight<T>>();

  /**
   * Hands `send` a copy of `offsets` that a join may empty before the library sends it again, and resolves
   * once the library answered: 'withdrawn' when a join came meanwhile (whatever was sent then, the offsets
   * cannot be known to stand), 'taken' otherwise.
   */
  async commit(offsets: readonly T[], send: (offsets: T[]) => Promise<void>): Promise<CommitOutcome> {
    const inFlight: CommitInFlight<T> = { offsets: [...offsets], withdrawn: false };
    this.#inFlight.add(inFlight);
    try {
      await send(inFlight.offsets);
    } finally {
      this.#inFlight.delete(inFlight);
    }
    return inFlight.withdrawn ? 'withdrawn' : 'taken';
  }

  /** The member joined a new generation: no commit in flight may carry its offsets into it. */
  withdrawAll(): void {
    for (const inFlight of this.#inFlight) {
      inFlight.withdrawn = true;
      inFlight.offsets.length = 0;
    }
  }
}
