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

describe('processExactlyOnce() under a crash (broker)', function () {
  this.timeout(120_000);

  const { members, readers } = trackEosProcesses();

  context('when the processor process is SIGKILLed mid-stream three times and restarted', () => {
    it('gives a read_committed reader exactly one output per input, none missing, none twice', async () => {
      const { env, group, input, output } = await createEosRun({ delayMs: 3 });
      await produceInputs(input, INPUTS);
      const committed = await OutputReader.start(output);
      const uncommitted = await OutputReader.start(output, true);
      readers.push(committed, uncommitted);

      const killedAt = async (member: MemberProcess, outputs: number): Promise<void> => {
        members.push(member);
        await waitUntil(
          () => committed.total >= outputs || member.signal !== null,
          `${outputs} outputs`,
          60_000,
          () => member.output,
        );
        member.kill('SIGKILL');
        await member.exited;
        expect(member.signal).to.equal('SIGKILL');
        // Killed mid-stream: the inputs were not all processed yet.
        expect(await committedTotal(group, input)).to.be.below(INPUTS);
      };
      // From outside, while it transforms (most of its time) or is inside a transaction.
      await killedAt(new MemberProcess({ ...env, EOS_MEMBER: 'victim-1' }), 600);
      // By itself, inside its 12th transaction: its outputs are written, its commit never sent.
      await killedAt(
        new MemberProcess({ ...env, EOS_MEMBER: 'victim-2', EOS_KILL_IN_TRANSACTION: '12' }),
        INPUTS,
      );
      await killedAt(new MemberProcess({ ...env, EOS_MEMBER: 'victim-3' }), 2_000);

      const survivor = new MemberProcess({ ...env, EOS_MEMBER: 'survivor' });
      members.push(survivor);
      await waitUntil(
        async () => (await committedTotal(group, input)) === INPUTS,
        'the group to commit every input',
        90_000,
        () => survivor.output,
      );
      survivor.kill('SIGTERM');
      await survivor.exited;
      await waitUntil(
        () => committed.seen.size === INPUTS,
        'every output',
        60_000,
        () =>
          `${committed.seen.size} ids, missing ${committed.missing(INPUTS).slice(0, 20).join(',')}\n` +
          members.map((member) => member.output).join('\n'),
      );
      // Every writer is gone and its transactions ended: what the reader has not read yet, it reads now.
      await sleep(2_000);
      expect(committed.missing(INPUTS)).to.deep.equal([]);
      expect(committed.duplicates).to.deep.equal([]);
      expect(committed.total).to.equal(INPUTS);
      // The outputs of the transaction killed before its commit were written, then aborted: a
      // read_uncommitted reader sees them and their inputs' outputs again.
      expect(uncommitted.duplicates.length).to.be.above(0);
    });
  });
});
