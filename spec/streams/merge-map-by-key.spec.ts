import { expect } from 'chai';
import { of, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { mergeMapByKey, RxKafkaError } from '../../lib';

interface Item {
  readonly key: string;
  readonly name: string;
  /** The inner observable's marble, e.g. '---(x|)': x is replaced by the item's name. */
  readonly inner: string;
}

describe('mergeMapByKey()', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  /** Runs `source` (items by marble letter) through mergeMapByKey keyed by `item.key`. */
  function run(
    marble: string,
    items: Record<string, Item>,
    options: { concurrency: number; perKey?: number },
    expected: string,
    outputs: Record<string, string>,
  ): void {
    scheduler.run(({ cold, expectObservable }) => {
      const project = (item: Item): Observable<string> => cold(item.inner, { x: item.name });
      const output = cold(marble, items).pipe(
        mergeMapByKey(project, { ...options, keyOf: (item) => item.key }),
      );
      expectObservable(output).toBe(expected, outputs);
    });
  }

  it('runs different keys concurrently', () => {
    run(
      'ab|',
      { a: { key: 'k1', name: 'A', inner: '---(x|)' }, b: { key: 'k2', name: 'B', inner: '---(x|)' } },
      { concurrency: 4 },
      '---A(B|)',
      { A: 'A', B: 'B' },
    );
  });

  it('runs the values of one key one after the other, in input order', () => {
    run(
      'ab|',
      { a: { key: 'k1', name: 'A', inner: '---(x|)' }, b: { key: 'k1', name: 'B', inner: '-(x|)' } },
      { concurrency: 4 },
      '---A(B|)',
      { A: 'A', B: 'B' },
    );
  });

  it('starts no more inners than the total concurrency, whatever the keys', () => {
    run(
      'abc|',
      {
        a: { key: 'k1', name: 'A', inner: '--(x|)' },
        b: { key: 'k2', name: 'B', inner: '--(x|)' },
        c: { key: 'k3', name: 'C', inner: '--(x|)' },
      },
      { concurrency: 2 },
      // c waits for a's slot: it starts at frame 2 and ends at frame 4.
      '--AB(C|)',
      { A: 'A', B: 'B', C: 'C' },
    );
  });

  it('with perKey above 1, runs a key’s values together but holds a later one’s outputs until the earlier completes', () => {
    run(
      'ab|',
      { a: { key: 'k1', name: 'A', inner: '----(x|)' }, b: { key: 'k1', name: 'B', inner: '(x|)' } },
      { concurrency: 4, perKey: 2 },
      '----(AB|)',
      { A: 'A', B: 'B' },
    );
  });

  it('completes only once the source and every inner completed', () => {
    run('a|', { a: { key: 'k1', name: 'A', inner: '-----(x|)' } }, { concurrency: 1 }, '-----(A|)', {
      A: 'A',
    });
  });

  it('fails with an inner error, as mergeMap does', () => {
    run(
      'ab|',
      { a: { key: 'k1', name: 'A', inner: '--#' }, b: { key: 'k2', name: 'B', inner: '----(x|)' } },
      { concurrency: 4 },
      '--#',
      {},
    );
  });

  it('fails with a source error', () => {
    run('a#', { a: { key: 'k1', name: 'A', inner: '---(x|)' } }, { concurrency: 4 }, '-#', {});
  });

  it('fails with RXK_STREAM_OVERFLOW once more values wait than maxBuffered', () => {
    let failure: unknown;
    of(1, 2, 3, 4)
      .pipe(mergeMapByKey(() => new Promise<number>(() => undefined), { concurrency: 1, maxBuffered: 2 }))
      .subscribe({ error: (error: unknown) => (failure = error) });
    expect(RxKafkaError.isRxKafkaError(failure) && failure.code).to.equal('RXK_STREAM_OVERFLOW');
  });

  it('keys records by topic, partition and key when no keyOf is given', () => {
    const record = (partition: number, key: string | null, name: string) => ({
      topic: 't',
      partition,
      key,
      name,
    });
    scheduler.run(({ cold, expectObservable }) => {
      const values = {
        a: record(0, 'k', 'a'),
        b: record(0, 'k', 'b'),
        c: record(1, 'k', 'c'),
        d: record(0, null, 'd'),
      };
      const output = cold('abcd|', values).pipe(
        mergeMapByKey((value) => cold('----(x|)', { x: value.name }), { concurrency: 8 }),
      );
      // b waits for a (same partition and key); c (another partition) and d (no key) do not.
      expectObservable(output).toBe('----a-cd(b|)', { a: 'a', b: 'b', c: 'c', d: 'd' });
    });
  });

  it('throws RXK_INVALID_OPTIONS without a concurrency, or with a bad one', () => {
    const codeOf = (call: () => unknown): unknown => {
      try {
        call();
      } catch (error) {
        return (error as RxKafkaError).code;
      }
      return undefined;
    };
    expect(codeOf(() => mergeMapByKey(() => of(1), {} as { concurrency: number }))).to.equal(
      'RXK_INVALID_OPTIONS',
    );
    expect(codeOf(() => mergeMapByKey(() => of(1), { concurrency: 0 }))).to.equal('RXK_INVALID_OPTIONS');
    expect(codeOf(() => mergeMapByKey(() => of(1), { concurrency: 2, perKey: 1.5 }))).to.equal(
      'RXK_INVALID_OPTIONS',
    );
  });

  it('fails with the error of a project function that throws', () => {
    let failure: unknown;
    of(1)
      .pipe(
        mergeMapByKey(
          (): Observable<number> => {
            throw new Error('boom');
          },
          { concurrency: 1 },
        ),
      )
      .subscribe({ error: (error: unknown) => (failure = error) });
    expect((failure as Error).message).to.equal('boom');
  });
});
