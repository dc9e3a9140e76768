import { expect } from 'chai';
import { Observable, Subscriber, type Subscription } from 'rxjs';
import { RemoteError, RequestTimeoutError, RxKafkaError } from '../../lib/errors';
import { PendingRequests } from '../../lib/client/pending-requests';
import type { ReplyPacket } from '../../lib/wire/deserializer';

interface Observed {
  readonly values: unknown[];
  error: unknown;
  completed: boolean;
  readonly subscription: Subscription;
  /** Settles with the error notification. */
  readonly failed: Promise<unknown>;
}

function register(table: PendingRequests, id: string, timeoutMs = 0, pattern = 'hero.kill.dragon'): Observed {
  let notifyError!: (error: unknown) => void;
  const failed = new Promise<unknown>((resolve) => (notifyError = resolve));
  const observed = { values: [] as unknown[], error: undefined as unknown, completed: false, failed };
  const subscription = new Observable<unknown>((subscriber) => {
    table.add(id, pattern, subscriber, timeoutMs);
    return () => table.remove(id);
  }).subscribe({
    next: (value) => observed.values.push(value),
    error: (error: unknown) => {
      observed.error = error;
      notifyError(error);
    },
    complete: () => (observed.completed = true),
  });
  return Object.assign(observed, { subscription });
}

function reply(id: string, fields: Partial<ReplyPacket>): ReplyPacket {
  return { id, isDisposed: false, ...fields };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('PendingRequests', () => {
  describe('.deliver()', () => {
    it('emits each value and completes on the disposed reply', () => {
      const table = new PendingRequests(10);
      const observed = register(table, 'a');
      expect(table.deliver(reply('a', { response: 1 }), 'hero.reply', 0)).to.equal(true);
      expect(table.deliver(reply('a', { response: 2, isDisposed: true }), 'hero.reply', 0)).to.equal(true);
      expect(observed.values).to.deep.equal([1, 2]);
      expect(observed.completed).to.equal(true);
      expect(table.size).to.equal(0);
    });

    it('completes without emitting a bare null end that follows values', () => {
      const table = new PendingRequests(10);
      const observed = register(table, 'a');
      table.deliver(reply('a', { response: 1 }), 'hero.reply', 0);
      table.deliver(reply('a', { response: null, isDisposed: true }), 'hero.reply', 0);
      expect(observed.values).to.deep.equal([1]);
      expect(observed.completed).to.equal(true);
    });

    it('emits null when a null disposed reply is the only one', () => {
      const table = new PendingRequests(10);
      const observed = register(table, 'a');
      table.deliver(reply('a', { response: null, isDisposed: true }), 'hero.reply', 0);
      expect(observed.values).to.deep.equal([null]);
      expect(observed.completed).to.equal(true);
    });

    it('emits nothing for a disposed reply without a response', () => {
      const table = new PendingRequests(10);
      const observed = register(table, 'a');
      table.deliver(reply('a', { isDisposed: true }), 'hero.reply', 0);
      expect(observed.values).to.deep.equal([]);
      expect(observed.completed).to.equal(true);
    });

    it('errors with a RemoteError holding the response, correlation id, topic and partition', () => {
      const table = new PendingRequests(10);
      const observed = register(table, 'a');
      const err = { status: 'error', message: 'no dragons' };
      table.deliver(reply('a', { err, isDisposed: true }), 'hero.reply', 3);
      expect(observed.error).to.be.instanceOf(RemoteError);
      const error = observed.error as RemoteError;
      expect(error.response).to.equal(err);
      expect(error.code).to.equal('RXK_REMOTE_ERROR');
      expect(error.context).to.deep.equal({ correlationId: 'a', topic: 'hero.reply', partition: 3 });
      expect(table.size).to.equal(0);
    });

    it('returns false for an id no request waits for, and touches no other request', () => {
      const table = new PendingRequests(10);
      const observed = register(table, 'a');
      expect(table.deliver(reply('b', { response: 1, isDisposed: true }), 'hero.reply', 0)).to.equal(false);
      expect(observed.values).to.deep.equal([]);
      expect(table.size).to.equal(1);
    });

    it('returns false for a reply that arrives after the end', () => {
      const table = new PendingRequests(10);
      register(table, 'a');
      table.deliver(reply('a', { response: 1, isDisposed: true }), 'hero.reply', 0);
      expect(table.deliver(reply('a', { response: 2 }), 'hero.reply', 0)).to.equal(false);
    });
  });

  describe('.add()', () => {
    it('fails with a retriable RXK_PENDING_LIMIT when the table is full', () => {
      const table = new PendingRequests(1);
      register(table, 'a');
      const observed = register(table, 'b');
      expect(RxKafkaError.isRxKafkaError(observed.error)).to.equal(true);
      expect((observed.error as RxKafkaError).code).to.equal('RXK_PENDING_LIMIT');
      expect((observed.error as RxKafkaError).retriable).to.equal(true);
      expect(table.size).to.equal(1);
    });

    it('makes room again once a request ends', () => {
      const table = new PendingRequests(1);
      register(table, 'a');
      table.deliver(reply('a', { isDisposed: true }), 'hero.reply', 0);
      const observed = register(table, 'b');
      expect(observed.error).to.equal(undefined);
      expect(table.size).to.equal(1);
    });
  });

  describe('timeouts', () => {
    it('errors with RequestTimeoutError when no reply arrives in time, and forgets the request', async () => {
      const table = new PendingRequests(10);
      const observed = register(table, 'a', 20, 'hero.slow');
      const error = await observed.failed;
      expect(error).to.be.instanceOf(RequestTimeoutError);
      expect((error as RequestTimeoutError).code).to.equal('RXK_REQUEST_TIMEOUT');
      expect((error as RequestTimeoutError).timeoutMs).to.equal(20);
      expect((error as RequestTimeoutError).context).to.deep.equal({
        topic: 'hero.slow',
        correlationId: 'a',
      });
      expect((error as Error).message).to.contain('hero.slow');
      expect(table.size).to.equal(0);
    });

    it('starts the timeout again at each reply', async () => {
      const table = new PendingRequests(10);
      const observed = register(table, 'a', 20);
      // Timers fire in deadline order: this one fires before the first 20 ms deadline…
      await delay(10);
      table.deliver(reply('a', { response: 1 }), 'hero.reply', 0);
      // …and this one after it, but before the deadline the reply set.
      await delay(15);
      expect(observed.error).to.equal(undefined);
      expect(table.size).to.equal(1);

      const error = await observed.failed;
      expect(error).to.be.instanceOf(RequestTimeoutError);
      expect((error as Error).message).to.contain('1 replies so far');
      expect(observed.values).to.deep.equal([1]);
    });

    it('cancels the timeout when the request ends', async () => {
      const table = new PendingRequests(10);
      const observed = register(table, 'a', 5);
      table.deliver(reply('a', { response: 1, isDisposed: true }), 'hero.reply', 0);
      await delay(10);
      expect(observed.error).to.equal(undefined);
      expect(observed.completed).to.equal(true);
    });
  });

  describe('.remove()', () => {
    it('forgets a request without notifying it', async () => {
      const table = new PendingRequests(10);
      const observed = register(table, 'a', 5);
      table.remove('a');
      await delay(10);
      expect(table.size).to.equal(0);
      expect(observed.error).to.equal(undefined);
      expect(observed.completed).to.equal(false);
      expect(table.deliver(reply('a', { response: 1 }), 'hero.reply', 0)).to.equal(false);
    });

    it('runs when the caller unsubscribes', () => {
      const table = new PendingRequests(10);
      const observed = register(table, 'a');
      observed.subscription.unsubscribe();
      expect(table.size).to.equal(0);
    });
  });

  describe('.fail()', () => {
    it('errors one request with the given error', () => {
      const table = new PendingRequests(10);
      const a = register(table, 'a');
      const b = register(table, 'b');
      const error = new Error('request record could not be produced');
      table.fail('a', error);
      expect(a.error).to.equal(error);
      expect(b.error).to.equal(undefined);
      expect(table.size).to.equal(1);
    });
  });

  describe('.failAll()', () => {
    it('errors every request with the error made for its pattern and id, and empties the table', () => {
      const table = new PendingRequests(10);
      const a = register(table, 'a', 0, 'hero.one');
      const b = register(table, 'b', 0, 'hero.two');
      const count = table.failAll((pattern, id) => new Error(`${pattern}/${id}`));
      expect(count).to.equal(2);
      expect((a.error as Error).message).to.equal('hero.one/a');
      expect((b.error as Error).message).to.equal('hero.two/b');
      expect(table.size).to.equal(0);
    });

    it('returns 0 for an empty table', () => {
      expect(new PendingRequests(10).failAll(() => new Error('unused'))).to.equal(0);
    });
  });
});

describe('PendingRequests.summary()', () => {
  it('counts pending requests, the oldest wait, timeouts and answers', async () => {
    let now = 10_000;
    const pending = new PendingRequests(10, () => now);
    const sink = () =>
      new Subscriber<unknown>({ next: () => undefined, error: () => undefined, complete: () => undefined });
    expect(pending.summary()).to.deep.equal({ pending: 0, oldestMs: 0, timedOut: 0, answered: 0 });
    pending.add('a', 'orders', sink(), 0);
    now = 10_400;
    pending.add('b', 'orders', sink(), 20);
    now = 10_500;
    expect(pending.summary()).to.deep.equal({ pending: 2, oldestMs: 500, timedOut: 0, answered: 0 });
    pending.deliver({ id: 'a', response: 1, isDisposed: true }, 'orders.reply', 0);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(pending.summary()).to.deep.equal({ pending: 0, oldestMs: 0, timedOut: 1, answered: 1 });
  });
});

describe('PendingRequests.oldest()', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

  it('carries the trace id the request was registered with', () => {
    const table = new PendingRequests(10);
    const observed = new Observable<unknown>((subscriber) => {
      table.add('c-1', 'hero.kill.dragon', subscriber, 0, { traceId });
      return () => table.remove('c-1');
    }).subscribe();
    expect(table.oldest()).to.deep.include({ correlationId: 'c-1', traceId });
    observed.unsubscribe();
  });

  it("reads the trace id from the request's trace when asked, not when the request is added", () => {
    const table = new PendingRequests(10);
    let reads = 0;
    const trace = {
      get traceId(): string {
        reads += 1;
        return traceId;
      },
    };
    const observed = new Observable<unknown>((subscriber) => {
      table.add('c-3', 'hero.kill.dragon', subscriber, 0, trace);
      return () => table.remove('c-3');
    }).subscribe();
    expect(reads).to.equal(0);
    expect(table.oldest()).to.deep.include({ correlationId: 'c-3', traceId });
    expect(reads).to.equal(1);
    observed.unsubscribe();
  });

  it('has no trace id field for a request whose trace has no valid id', () => {
    const table = new PendingRequests(10);
    const observed = new Observable<unknown>((subscriber) => {
      table.add('c-4', 'hero.kill.dragon', subscriber, 0, { traceId: undefined });
      return () => table.remove('c-4');
    }).subscribe();
    expect(table.oldest()).to.include({ correlationId: 'c-4' }).and.not.have.property('traceId');
    observed.unsubscribe();
  });

  it('has no trace id field for an untraced request', () => {
    const table = new PendingRequests(10);
    const observed = register(table, 'c-2');
    expect(table.oldest()).to.include({ correlationId: 'c-2' }).and.not.have.property('traceId');
    observed.subscription.unsubscribe();
  });
});
