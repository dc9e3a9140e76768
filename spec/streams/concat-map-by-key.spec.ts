import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { concatMapByKey } from '../../lib';

describe('concatMapByKey()', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('projects the values of one key one after the other and different keys side by side', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const values = {
        a: { key: 'k1', name: 'a' },
        b: { key: 'k1', name: 'b' },
        c: { key: 'k2', name: 'c' },
      };
      const output = cold('abc|', values).pipe(
        concatMapByKey((value) => cold('--(x|)', { x: value.name }), {
          concurrency: 4,
          keyOf: (value) => value.key,
        }),
      );
      // a: 0→2; b waits for a: 2→4; c (another key) arrives at 2, just before a ends, and runs 2→4.
      expectObservable(output).toBe('--a-(cb|)', { a: 'a', b: 'b', c: 'c' });
    });
  });

  it('ignores a perKey smuggled into its options: one inner per key', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const values = { a: { key: 'k1', name: 'a' }, b: { key: 'k1', name: 'b' } };
      const options = {
        concurrency: 4,
        keyOf: (value: { key: string; name: string }) => value.key,
        perKey: 4,
      };
      const output = cold('ab|', values).pipe(
        concatMapByKey((value) => cold('--(x|)', { x: value.name }), options),
      );
      expectObservable(output).toBe('--a-(b|)', { a: 'a', b: 'b' });
    });
  });
});
