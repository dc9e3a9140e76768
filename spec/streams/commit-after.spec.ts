import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { commitAfter, type Committable } from '../../lib';

/** A committable value that notes, in the shared log, when it was committed. */
function committable(name: string, log: string[]): Committable & { name: string } {
  return { name, commit: () => log.push(name) };
}

describe('commitAfter()', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('commits each record as it arrives and passes it on unchanged', () => {
    const log: string[] = [];
    const values = { a: committable('a', log), b: committable('b', log) };
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a--b|', values).pipe(commitAfter())).toBe('-a--b|', values);
    });
    expect(log).to.deep.equal(['a', 'b']);
  });

  it('commits nothing before a record reaches it', () => {
    const log: string[] = [];
    const values = { a: committable('a', log) };
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('--a', values).pipe(commitAfter()), '-!').toBe('--');
    });
    expect(log).to.deep.equal([]);
  });

  it('commits what a selector finds in a result: one record, several, or none', () => {
    const log: string[] = [];
    const results = {
      x: { input: committable('x', log) },
      y: { inputs: [committable('y1', log), committable('y2', log)] },
      z: { nothing: true },
    };
    type Result = { input?: Committable; inputs?: Committable[]; nothing?: boolean };
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold<Result>('xyz|', results);
      expectObservable(source.pipe(commitAfter((result) => result.input ?? result.inputs))).toBe(
        'xyz|',
        results,
      );
    });
    expect(log).to.deep.equal(['x', 'y1', 'y2']);
  });

  it('passes errors and completion through', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<Committable>('-#').pipe(commitAfter())).toBe('-#');
    });
  });
});
