import { expect } from 'chai';
import type { RetryPolicy } from '../../lib/handlers/retry-policy';
import { runWithRetries } from '../../lib/pipeline/run-with-retries';

const policy: RetryPolicy = { attempts: 3, backoffMs: 1, maxBackoffMs: 1 };

class Retriable extends Error {}

const isRetriable = (error: unknown): boolean => error instanceof Retriable;

async function catchError(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('runWithRetries()', () => {
  it('returns the first result without retrying', async () => {
    const attempts: number[] = [];
    const result = await runWithRetries(
      async (attempt) => {
        attempts.push(attempt);
        return 'ok';
      },
      policy,
      isRetriable,
    );
    expect(result).to.equal('ok');
    expect(attempts).to.deep.equal([1]);
  });

  it('runs again after a retriable error and returns the later result', async () => {
    const attempts: number[] = [];
    const result = await runWithRetries(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 3) throw new Retriable(`attempt ${attempt}`);
        return attempt;
      },
      policy,
      isRetriable,
    );
    expect(result).to.equal(3);
    expect(attempts).to.deep.equal([1, 2, 3]);
  });

  it('rethrows the last error once the attempts are spent', async () => {
    const errors = [new Retriable('1'), new Retriable('2'), new Retriable('3'), new Retriable('4')];
    let runs = 0;
    const thrown = await catchError(
      runWithRetries(
        async (attempt) => {
          runs += 1;
          throw errors[attempt - 1];
        },
        policy,
        isRetriable,
      ),
    );
    expect(thrown).to.equal(errors[2]);
    expect(runs).to.equal(3);
  });

  it('rethrows a non-retriable error at once', async () => {
    const error = new Error('fatal');
    let runs = 0;
    const thrown = await catchError(
      runWithRetries(
        async () => {
          runs += 1;
          throw error;
        },
        policy,
        isRetriable,
      ),
    );
    expect(thrown).to.equal(error);
    expect(runs).to.equal(1);
  });

  it('runs once when attempts is 1', async () => {
    let runs = 0;
    await catchError(
      runWithRetries(
        async () => {
          runs += 1;
          throw new Retriable();
        },
        { ...policy, attempts: 1 },
        isRetriable,
      ),
    );
    expect(runs).to.equal(1);
  });

  it('calls beforeRetry with the error and the number of the attempt that failed', async () => {
    const errors = [new Retriable('1'), new Retriable('2'), new Retriable('3')];
    const calls: Array<[unknown, number]> = [];
    await catchError(
      runWithRetries(
        async (attempt) => {
          throw errors[attempt - 1];
        },
        policy,
        isRetriable,
        (error, attempt) => {
          calls.push([error, attempt]);
        },
      ),
    );
    expect(calls).to.deep.equal([
      [errors[0], 1],
      [errors[1], 2],
    ]);
  });

  it('waits for an async beforeRetry before the next run', async () => {
    const events: string[] = [];
    await runWithRetries(
      async (attempt) => {
        events.push(`run ${attempt}`);
        if (attempt === 1) throw new Retriable();
      },
      policy,
      isRetriable,
      async () => {
        await Promise.resolve();
        events.push('before retry');
      },
    );
    expect(events).to.deep.equal(['run 1', 'before retry', 'run 2']);
  });

  it('does not call beforeRetry for an error it will not retry', async () => {
    let calls = 0;
    await catchError(
      runWithRetries(
        async () => {
          throw new Error('fatal');
        },
        policy,
        isRetriable,
        () => {
          calls += 1;
        },
      ),
    );
    expect(calls).to.equal(0);
  });
});
