import { tap, type MonoTypeOperatorFunction } from 'rxjs';
import type { Committable } from './committable-record';

/** What a selector may point at: a record, several, or none (nothing to commit for this value). */
export type CommitTarget = Committable | readonly Committable[] | null | undefined;

/**
 * Commits each record that reaches this point of the pipeline, then passes the value on unchanged: put it
 * after the work that must be done before a record counts as finished. Records may arrive in any order
 * (after `mergeMap`, `mergeMapByKey`): the stream commits a partition only below its lowest unfinished
 * record. Without `select` the values must be the records themselves; with it, `select` finds the
 * record(s) a result carries, e.g. `commitAfter((result) => result.input)` after `produceTo()`.
 */
export function commitAfter<T extends Committable>(): MonoTypeOperatorFunction<T>;
export function commitAfter<T>(select: (value: T) => CommitTarget): MonoTypeOperatorFunction<T>;
export function commitAfter<T>(select?: (value: T) => CommitTarget): MonoTypeOperatorFunction<T> {
  const targetOf = select ?? ((value: T) => value as unknown as Committable);
  return tap((value) => {
    const target = targetOf(value);
    if (target === null || target === undefined) return;
    if (isCommittableList(target)) for (const record of target) record.commit();
    else target.commit();
  });
}

function isCommittableList(target: Committable | readonly Committable[]): target is readonly Committable[] {
  return Array.isArray(target);
}
