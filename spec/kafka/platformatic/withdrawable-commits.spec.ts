import { expect } from 'chai';
import { WithdrawableCommits } from '../../../lib/kafka/platformatic/withdrawable-commits';

/**
 * A stand-in for @platformatic/kafka's commit: its first send is refused for a rebalance, and it sends the
 * same array again once `rejoined` resolves, recording what each send carried.
 */
function refusedUntilRejoined(rejoined: Promise<void>, sends: number[][]) {
  return async (offsets: number[]): Promise<void> => {
    sends.push([...offsets]);
    await rejoined;
    sends.push([...offsets]);
  };
}

describe('WithdrawableCommits', () => {
  it('hands the offsets over and reports them taken when no join came meanwhile', async () => {
    const commits = new WithdrawableCommits<number>();
    const sends: number[][] = [];
    const outcome = await commits.commit([3, 7], async (offsets) => {
      sends.push([...offsets]);
    });
    expect(outcome).to.equal('taken');
    expect(sends).to.deep.equal([[3, 7]]);
  });

  it('empties a commit in flight at a join, so the library’s send after its rejoin carries nothing', async () => {
    const commits = new WithdrawableCommits<number>();
    const sends: number[][] = [];
    let rejoin!: () => void;
    const rejoined = new Promise<void>((resolve) => (rejoin = resolve));
    const outcome = commits.commit([935], refusedUntilRejoined(rejoined, sends));
    commits.withdrawAll();
    rejoin();
    expect(await outcome).to.equal('withdrawn');
    expect(sends).to.deep.equal([[935], []]);
  });

  it('leaves alone a commit made after the join, and the caller’s own array', async () => {
    const commits = new WithdrawableCommits<number>();
    const mine = [1];
    let release!: () => void;
    const first = commits.commit(mine, () => new Promise<void>((resolve) => (release = resolve)));
    commits.withdrawAll();
    release();
    await first;
    const sends: number[][] = [];
    const later = await commits.commit([2240], async (offsets) => {
      sends.push([...offsets]);
    });
    commits.withdrawAll();
    expect(later).to.equal('taken');
    expect(sends).to.deep.equal([[2240]]);
    expect(mine).to.deep.equal([1]);
  });

  it('passes a failed send’s error on', async () => {
    const commits = new WithdrawableCommits<number>();
    const refused = new Error('refused');
    let caught: unknown;
    await commits
      .commit([1], async () => {
        throw refused;
      })
      .catch((error: unknown) => (caught = error));
    expect(caught).to.equal(refused);
  });
});
