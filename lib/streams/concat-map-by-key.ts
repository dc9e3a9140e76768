import type { ObservableInput, OperatorFunction } from 'rxjs';
import { mergeMapByKey, type MergeMapByKeyOptions } from './merge-map-by-key';

/** Options of `concatMapByKey`: those of mergeMapByKey, with one inner per key. */
export type ConcatMapByKeyOptions<T> = Omit<MergeMapByKeyOptions<T>, 'perKey'>;

/**
 * `concatMap` per key: the values of one key are projected one after the other, in input order (the next
 * starts once the previous inner completed); different keys run concurrently, at most `concurrency` in
 * all. It is `mergeMapByKey` with `perKey: 1`, named for the reader.
 */
export function concatMapByKey<T, R>(
  project: (value: T, index: number) => ObservableInput<R>,
  options: ConcatMapByKeyOptions<T>,
): OperatorFunction<T, R> {
  return mergeMapByKey(project, { ...options, perKey: 1 });
}
