/**
 * `RunStartTimes`: when each handler run that someone may want to time started, by its record's context,
 * read back by the run's end or error to give its duration.
 */

/**
 * The last run started and not yet ended is kept apart, in two fields: a synchronous handler (most event
 * handlers) ends before the next starts, so its run never enters the WeakMap. A run still going when the
 * next starts moves there; the WeakMap lets go of a context nobody holds any more.
 */
export class RunStartTimes<Context extends object> {
  readonly #earlier = new WeakMap<Context, number>();
  #last: Context | undefined;
  #lastAt = 0;

  /** Notes that `context`'s run started at `at`. */
  remember(context: Context, at: number): void {
    if (this.#last !== undefined) this.#earlier.set(this.#last, this.#lastAt);
    this.#last = context;
    this.#lastAt = at;
  }

  /** When `context`'s run started, if it was noted. */
  startOf(context: Context): number | undefined {
    return context === this.#last ? this.#lastAt : this.#earlier.get(context);
  }

  /** `context`'s run is over: the next start need not keep its time. */
  forget(context: Context): void {
    if (context === this.#last) this.#last = undefined;
  }
}
