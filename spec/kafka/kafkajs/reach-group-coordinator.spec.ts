import { expect } from 'chai';
import { reachGroupCoordinator } from '../../../lib/kafka/kafkajs/reach-group-coordinator';

/** kafkajs's error when no broker it asked answered the coordinator lookup. */
function notFound(): Error {
  const error = new Error('Failed to find group coordinator');
  error.name = 'KafkaJSGroupCoordinatorNotFound';
  return error;
}

describe('reachGroupCoordinator()', () => {
  const retry = { attempts: 4, delayMs: 1 };

  it('looks the coordinator up again while the lookup fails, and resolves at its first success', async () => {
    let calls = 0;
    const result = await reachGroupCoordinator(async () => {
      calls += 1;
      if (calls < 3) throw notFound();
    }, retry);
    expect(result).to.deep.equal({ attempts: 3 });
    expect(calls).to.equal(3);
  });

  it('looks it up once when the coordinator answers', async () => {
    let calls = 0;
    expect(await reachGroupCoordinator(async () => void (calls += 1), retry)).to.deep.equal({ attempts: 1 });
    expect(calls).to.equal(1);
  });

  it('rejects with the last error once every attempt failed, so the connect attempt fails', async () => {
    let calls = 0;
    const last = notFound();
    const failure = await reachGroupCoordinator(async () => {
      calls += 1;
      throw calls === retry.attempts ? last : notFound();
    }, retry).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).to.equal(last);
    expect(calls).to.equal(retry.attempts);
  });
});
