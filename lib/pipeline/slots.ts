/** A counting semaphore: at most `size` holders; waiters are served in arrival order. */
export class Slots {
  readonly #waiters: Array<() => void> = [];
  #free: number;

  constructor(size: number) {
    this.#free = size;
  }

  /** Takes a slot if one is free, without waiting. */
  tryAcquire(): boolean {
    if (this.#free === 0) return false;
    this.#free -= 1;
    return true;
  }

  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free += 1;
  }
}
