import { defer, from, isObservable, mergeMap, Observable, of } from 'rxjs';

/**
 * What a handler returned, as an Observable: a value becomes one emission, a Promise its resolution (a
 * Promise of an Observable is flattened, as NestJS's `transformToObservable` does), an Observable stays.
 * A synchronous throw becomes an error notification, so a handler error never escapes the pipeline.
 */
export function toObservable(invoke: () => unknown): Observable<unknown> {
  return defer(() => {
    const result = invoke();
    if (isObservable(result)) return result;
    if (isPromiseLike(result)) {
      return from(result).pipe(mergeMap((value) => (isObservable(value) ? value : of(value))));
    }
    return of(result);
  });
}

/** True for anything with a `then` method (Promises and other thenables). */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
  );
}
