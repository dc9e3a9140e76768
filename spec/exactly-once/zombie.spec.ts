import { expect } from 'chai';
import { sleep } from '../reliability/support/eventually';
import {
  committedTotal,
  createEosRun,
  MemberProcess,
  OutputReader,
  produceInputs,
  trackEosProcesses,
  waitUntil,
} from './support/eos-fixture';

const INPUTS = 3_000;

describe('processExactlyOnce() with a zombie (broker)', function () {
  this.timeout(120_000);

  const { members, readers } = trackEosProcesses();

  context('when a paused processor wakes up after another took its partitions over', () => {
    it('fences its next transaction (RXK_PRODUCER_FENCED), and the outputs stay exactly one per input', async () => {
      const { env, group, input, output } = await createEosRun({ delayMs: 4 });
      await produceInputs(input, INPUTS);
      const committed = await OutputReader.start(output);
      readers.push(committed);

      const zombie = new MemberProcess({ ...env, EOS_MEMBER: 'zombie' });
      members.push(zombie);
      await waitUntil(
        () => committed.total >= 300,
        '300 outputs',
        60_000,
        () => zombie.output,
      );
      zombie.kill('SIGSTOP');
      const pausedAt = await committedTotal(group, input);

      // The successor joins; the group waits for the paused member's session to expire, then gives the
      // successor every partition, whose producers fence the paused member's.
      const successor = new MemberProcess({ ...env, EOS_MEMBER: 'successor' });
      members.push(successor);
      await waitUntil(
        async () => (await committedTotal(group, input)) >= pausedAt + 300,
        'the successor to take over',
        60_000,
        () => successor.output,
      );
      expect(zombie.output).not.to.include('RXK_PRODUCER_FENCED');
      zombie.kill('SIGCONT');
      await waitUntil(
        () => zombie.output.includes('RXK_PRODUCER_FENCED'),
        'the zombie to be fenced',
        30_000,
        () => zombie.output,
      );

      await waitUntil(
        async () => (await committedTotal(group, input)) === INPUTS,
        'the group to commit every input',
        90_000,
        () => `${zombie.output}\n${successor.output}`,
      );
      zombie.kill('SIGTERM');
      successor.kill('SIGTERM');
      await Promise.all([zombie.exited, successor.exited]);
      await waitUntil(
        () => committed.seen.size === INPUTS,
        'every output',
        60_000,
        () =>
          `${committed.seen.size} ids, missing ${committed.missing(INPUTS).slice(0, 20).join(',')}\n` +
          `${zombie.output}\n${successor.output}`,
      );
      await sleep(2_000);
      expect(committed.missing(INPUTS)).to.deep.equal([]);
      expect(committed.duplicates).to.deep.equal([]);
      expect(committed.total).to.equal(INPUTS);
    });
  });
});
