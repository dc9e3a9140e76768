import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { toReplyPackets, type ServerReply } from '../../lib/pipeline/reply-packets';

const error = new Error('boom');

function createScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => {
    expect(actual).to.deep.equal(expected);
  });
}

function value(response: unknown, isDisposed = false): ServerReply {
  return { response, isDisposed };
}

describe('toReplyPackets()', () => {
  it('turns of(1, 2, 3) into three packets, the last one disposed', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const source = cold('(abc|)', { a: 1, b: 2, c: 3 });
      expectObservable(source.pipe(toReplyPackets())).toBe('(xyz|)', {
        x: value(1),
        y: value(2),
        z: value(3, true),
      });
    });
  });

  it('holds each value until the next one arrives', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const source = cold('a--b--c--|', { a: 1, b: 2, c: 3 });
      expectObservable(source.pipe(toReplyPackets())).toBe('---x--y--(z|)', {
        x: value(1),
        y: value(2),
        z: value(3, true),
      });
    });
  });

  it('puts isDisposed on the last value when completion comes later, with no separate null packet', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const source = cold('a-b-----|', { a: 'first', b: 'last' });
      expectObservable(source.pipe(toReplyPackets())).toBe('--x-----(y|)', {
        x: value('first'),
        y: value('last', true),
      });
    });
  });

  it('replies to an empty stream with one null packet that is disposed', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('---|').pipe(toReplyPackets())).toBe('---(x|)', { x: value(null, true) });
    });
  });

  it('keeps an undefined value as the response, not as null', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(a|)', { a: undefined }).pipe(toReplyPackets())).toBe('(x|)', {
        x: value(undefined, true),
      });
    });
  });

  it('sends the held value, then the error as the final packet', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      const source = cold('a-b--#', { a: 1, b: 2 }, error);
      expectObservable(source.pipe(toReplyPackets())).toBe('--x--(ye|)', {
        x: value(1),
        y: value(2),
        e: { error, isDisposed: true },
      });
    });
  });

  it('replies to an error before any value with the error alone', () => {
    createScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('--#', undefined, error).pipe(toReplyPackets())).toBe('--(e|)', {
        e: { error, isDisposed: true },
      });
    });
  });

  describe('with shouldRethrow', () => {
    it('rethrows an error it accepts before the first value, emitting nothing', () => {
      const seen: Array<[unknown, number]> = [];
      createScheduler().run(({ cold, expectObservable }) => {
        const packets = cold('--#', undefined, error).pipe(
          toReplyPackets((thrown, valuesSeen) => {
            seen.push([thrown, valuesSeen]);
            return true;
          }),
        );
        expectObservable(packets).toBe('--#', undefined, error);
      });
      expect(seen).to.deep.equal([[error, 0]]);
    });

    it('rethrows without sending the value it holds', () => {
      createScheduler().run(({ cold, expectObservable }) => {
        const packets = cold('a-#', { a: 1 }, error).pipe(toReplyPackets(() => true));
        expectObservable(packets).toBe('--#', undefined, error);
      });
    });

    it('passes the count of values seen, so the caller can decline after the first value', () => {
      createScheduler().run(({ cold, expectObservable }) => {
        const packets = cold('a-#', { a: 1 }, error).pipe(
          toReplyPackets((_thrown, valuesSeen) => valuesSeen === 0),
        );
        expectObservable(packets).toBe('--(xe|)', { x: value(1), e: { error, isDisposed: true } });
      });
    });
  });

  it('unsubscribes from the source when the packets are unsubscribed', () => {
    createScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('--a--b--c--|', { a: 1, b: 2, c: 3 });
      expectObservable(source.pipe(toReplyPackets()), '^------!').toBe('-----x--', { x: value(1) });
      expectSubscriptions(source.subscriptions).toBe('^------!');
    });
  });
});
