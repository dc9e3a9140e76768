/**
 * The inspector's memory: the last `capacity` entries in a ring buffer, numbered in order, and the
 * listeners that hear each new one. A page opened late gets the whole buffer, then the live entries.
 */
import type { InspectorEntry, NewInspectorEntry } from './inspector-entry';

export class ActorHistory {
  readonly #capacity: number;
  readonly #entries: Array<InspectorEntry | undefined>;
  readonly #listeners = new Set<(entry: InspectorEntry) => void>();
  #next = 0;

  /** @param capacity entries kept; the oldest go first. */
  constructor(capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`the history keeps at least 1 entry, got ${capacity}`);
    }
    this.#capacity = capacity;
    this.#entries = new Array<InspectorEntry | undefined>(capacity);
  }

  /**
   * Numbers `entry` (an entry read from a recording or the fleet topic gets this history's number and keeps
   * its own time), keeps it (dropping the oldest when full) and tells every listener.
   */
  add(entry: NewInspectorEntry): InspectorEntry {
    const numbered = { ...entry, seq: this.#next } as InspectorEntry;
    this.#entries[this.#next % this.#capacity] = numbered;
    this.#next += 1;
    for (const listener of this.#listeners) listener(numbered);
    return numbered;
  }

  /** The entries kept, oldest first. */
  entries(): InspectorEntry[] {
    const count = Math.min(this.#next, this.#capacity);
    const first = this.#next - count;
    const kept: InspectorEntry[] = [];
    for (let seq = first; seq < this.#next; seq++) {
      const entry = this.#entries[seq % this.#capacity];
      if (entry) kept.push(entry);
    }
    return kept;
  }

  /** Entries added so far, also the ones the buffer dropped. */
  get total(): number {
    return this.#next;
  }

  /** Calls `listener` for each entry added from now on; returns the function that stops it. */
  listen(listener: (entry: InspectorEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
