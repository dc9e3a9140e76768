import { expect } from 'chai';
import type { PlatformaticKafka } from '../../../lib/kafka/platformatic/platformatic-library';
import { probeBrokers } from '../../../lib/kafka/platformatic/probe-brokers';

/** What each fake broker answers a Metadata request with: nothing (it answered) or an error. */
type Answers = Readonly<Record<string, Error | undefined>>;

/** A fake @platformatic/kafka whose Admin records every client it builds and what it was asked. */
function fakeLibrary(answers: Answers) {
  const asked: Array<{ broker: string; retries: unknown }> = [];
  const closed: string[] = [];
  class Admin {
    readonly #options: { bootstrapBrokers: string[]; retries?: number };
    constructor(options: { bootstrapBrokers: string[]; retries?: number }) {
      this.#options = options;
    }
    async metadata(): Promise<void> {
      const [broker] = this.#options.bootstrapBrokers;
      asked.push({ broker, retries: this.#options.retries });
      const answer = answers[broker];
      if (answer) throw answer;
    }
    async close(): Promise<void> {
      closed.push(this.#options.bootstrapBrokers[0]);
    }
  }
  return { library: { Admin } as unknown as PlatformaticKafka, asked, closed };
}

const unreachable = new Error('nobody there');
const refused = new Error('login refused');
const isUnreachable = (error: unknown) => error === unreachable;
const base = (bootstrapBrokers: string[]) => ({ clientId: 'probe-spec', bootstrapBrokers, retries: 3 });

describe('probeBrokers() (platformatic, over a fake library)', () => {
  it('asks each broker once, without retries, until one answers, and closes every client it built', async () => {
    const { library, asked, closed } = fakeLibrary({ 'a:1': unreachable, 'b:1': undefined });
    await probeBrokers(library, base(['a:1', 'b:1', 'c:1']), isUnreachable);
    expect(asked).to.deep.equal([
      { broker: 'a:1', retries: 0 },
      { broker: 'b:1', retries: 0 },
    ]);
    expect(closed).to.deep.equal(['a:1', 'b:1']);
  });

  it('stops at a refused login: one login in all, however many brokers there are', async () => {
    const { library, asked } = fakeLibrary({ 'a:1': refused, 'b:1': undefined });
    const error = await probeBrokers(library, base(['a:1', 'b:1']), isUnreachable).catch(
      (rejected: unknown) => rejected,
    );
    expect(error).to.equal(refused);
    expect(asked.map(({ broker }) => broker)).to.deep.equal(['a:1']);
  });

  it('rejects with the last broker’s error when none could be reached', async () => {
    const last = new Error('nobody there either');
    const { library } = fakeLibrary({ 'a:1': unreachable, 'b:1': last });
    const error = await probeBrokers(
      library,
      base(['a:1', 'b:1']),
      (e) => e === unreachable || e === last,
    ).catch((rejected: unknown) => rejected);
    expect(error).to.equal(last);
  });
});
