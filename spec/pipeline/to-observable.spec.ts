import { expect } from 'chai';
import { firstValueFrom, lastValueFrom, Observable, of, toArray } from 'rxjs';
import { toObservable } from '../../lib/pipeline/to-observable';

async function collect(source: Observable<unknown>): Promise<unknown[]> {
  return lastValueFrom(source.pipe(toArray()));
}

describe('toObservable()', () => {
  it('emits a plain value once', async () => {
    expect(await collect(toObservable(() => 7))).to.deep.equal([7]);
  });

  it('emits undefined for a method that returns nothing', async () => {
    expect(await collect(toObservable(() => undefined))).to.deep.equal([undefined]);
  });

  it("emits a Promise's resolution", async () => {
    expect(await collect(toObservable(() => Promise.resolve({ sum: 3 })))).to.deep.equal([{ sum: 3 }]);
  });

  it('flattens a Promise of an Observable', async () => {
    expect(await collect(toObservable(async () => of(1, 2, 3)))).to.deep.equal([1, 2, 3]);
  });

  it('passes an Observable through', async () => {
    const source = of('a', 'b');
    expect(await collect(toObservable(() => source))).to.deep.equal(['a', 'b']);
  });

  it('turns a synchronous throw into an error notification', async () => {
    const error = new Error('sync');
    const source = toObservable(() => {
      throw error;
    });
    let thrown: unknown;
    await firstValueFrom(source).catch((caught: unknown) => (thrown = caught));
    expect(thrown).to.equal(error);
  });

  it('turns a rejected Promise into an error notification', async () => {
    const error = new Error('async');
    let thrown: unknown;
    await firstValueFrom(toObservable(() => Promise.reject(error))).catch(
      (caught: unknown) => (thrown = caught),
    );
    expect(thrown).to.equal(error);
  });

  it('calls the handler on each subscription, not before', async () => {
    let calls = 0;
    const source = toObservable(() => ++calls);
    expect(calls).to.equal(0);
    await firstValueFrom(source);
    await firstValueFrom(source);
    expect(calls).to.equal(2);
  });
});
