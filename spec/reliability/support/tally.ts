/**
 * Counts how often each id was seen, to prove "every one at least once" and to count duplicates.
 */
export class Tally<Id = number> {
  readonly #counts = new Map<Id, number>();
  #total = 0;

  /** Records one sighting of `id`. */
  add(id: Id): void {
    this.#counts.set(id, (this.#counts.get(id) ?? 0) + 1);
    this.#total += 1;
  }

  /** How often `id` was seen. */
  count(id: Id): number {
    return this.#counts.get(id) ?? 0;
  }

  /** Sightings in total, duplicates included. */
  get total(): number {
    return this.#total;
  }

  /** Different ids seen. */
  get distinct(): number {
    return this.#counts.size;
  }

  /** Sightings beyond the first of each id. */
  get duplicates(): number {
    return this.#total - this.#counts.size;
  }

  /** Ids seen more than once. */
  repeated(): Id[] {
    return [...this.#counts].filter(([, count]) => count > 1).map(([id]) => id);
  }

  /** The ids of `expected` never seen. */
  missing(expected: Iterable<Id>): Id[] {
    return [...expected].filter((id) => !this.#counts.has(id));
  }
}
