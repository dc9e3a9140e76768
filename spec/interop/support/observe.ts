import { Observable, TimeoutError } from 'rxjs';

/** One notification of an Observable, as data that deep equality can compare. */
export type Observed = { next: unknown } | { error: unknown } | { complete: true } | { timedOut: true };

/**
 * Subscribes to `source` and resolves with every notification it sent, in order, once it ended. An rxjs
 * `TimeoutError` (from a `timeout()` the caller piped) becomes `{ timedOut: true }`, so "no answer" compares
 * equal between two runs.
 */
export function observe(source: Observable<unknown>): Promise<Observed[]> {
  return new Promise((resolve) => {
    const seen: Observed[] = [];
    source.subscribe({
      next: (value) => seen.push({ next: value }),
      error: (error: unknown) => {
        seen.push(error instanceof TimeoutError ? { timedOut: true } : { error });
        resolve(seen);
      },
      complete: () => {
        seen.push({ complete: true });
        resolve(seen);
      },
    });
  });
}
