import type { Readable } from 'node:stream';

/**
 * Reads an object-mode stream (@platformatic/kafka's MessagesStream) a buffer at a time: `next()` resolves
 * with every record the stream holds, waiting for the next one when it holds none, and with `null` once the
 * stream ended, closed or failed. Reading only when asked keeps the stream's own backpressure: it fetches
 * while its buffer is below its high-water mark.
 */
export class RecordReader<T> {
  readonly #stream: Readable;
  #ended = false;
  #waiter: ((records: T[] | null) => void) | undefined;

  constructor(stream: Readable) {
    this.#stream = stream;
    stream.on('readable', () => this.#wake());
    for (const event of ['end', 'close', 'error'] as const) {
      stream.on(event, () => {
        this.#ended = true;
        this.#wake();
      });
    }
  }

  next(): Promise<T[] | null> {
    const records = this.#drain();
    if (records.length > 0) return Promise.resolve(records);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  #wake(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    const records = this.#drain();
    if (records.length === 0 && !this.#ended) return;
    this.#waiter = undefined;
    waiter(records.length > 0 ? records : null);
  }

  #drain(): T[] {
    const records: T[] = [];
    if (this.#stream.destroyed) return records;
    for (
      let record = this.#stream.read() as T | null;
      record !== null;
      record = this.#stream.read() as T | null
    ) {
      records.push(record);
    }
    return records;
  }
}
