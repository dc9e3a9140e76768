import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { filter, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { runBankWalkthrough } from '../../examples/bank/bank-walkthrough';
import type { BankEvent } from '../../examples/bank/bank-events';
import { totalBalance } from '../../examples/bank/balances';
import { openBalances, startBank } from '../../examples/bank/run-bank';
import { RemoteError, replay } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { RecordingLogger } from '../support/recording-logger';

describe('the bank example (integration)', function () {
  this.timeout(180_000);

  it('walks through accounts, a deposit, a transfer credited by the processor, a refused overdraft and a restart from the snapshot', async () => {
    const { brokers } = await useTestBroker();
    const lines: string[] = [];
    const logger = new RecordingLogger();
    await runBankWalkthrough(brokers, (line) => lines.push(line), logger);
    const output = lines.join('\n');
    expect(output).to.match(/bank\.transfer .* → TransferDebited at \d+\/\d+/);
    expect(output).to.include(
      'the transfer processor credited bob: {"alice":{"owner":"Alice","balance":7000},"bob":{"owner":"Bob","balance":3000}}',
    );
    expect(output).to.include(
      'bank.withdraw {"accountId":"bob","amount":5000} → refused: {"code":"INSUFFICIENT_FUNDS"',
    );
    expect(output).to.include('money in the bank: 10000 cents');
    expect(output).to.match(
      /balances restarted from the snapshot at \{.*\}: replayed 0 events, same state: true/,
    );
    expect(logger.entries.filter((entry) => entry.level === 'error')).to.deep.equal([]);
  });

  it('keeps the money through concurrent transfers: every accepted debit credited exactly once, no account below zero', async () => {
    const { brokers } = await useTestBroker();
    const logger = new RecordingLogger();
    const name = `bank-${randomBytes(4).toString('hex')}`;
    const bank = await startBank({ brokers, logger, name, snapshotEvery: 10 });
    const accounts = ['a', 'b', 'c', 'd', 'e', 'f'];
    const send = (pattern: string, key: string, value: object) =>
      firstValueFrom(bank.client.send(pattern, { key, value }));
    try {
      for (const accountId of accounts) {
        await send('bank.open', accountId, { accountId, owner: accountId.toUpperCase() });
        await send('bank.deposit', accountId, { accountId, amount: 1_000 });
      }
      // 60 transfers at once, each of 100 to 700 cents between random accounts: some overdraw and are refused.
      const outcomes = await Promise.all(
        Array.from({ length: 60 }, (_, index) => {
          const from = accounts[index % accounts.length];
          const to =
            accounts[(index * 7 + 1) % accounts.length] === from
              ? accounts[(index + 1) % 6]
              : accounts[(index * 7 + 1) % 6];
          const amount = 100 * (1 + (index % 7));
          return send('bank.transfer', from, { transferId: `t${index}`, from, to, amount }).then(
            () => 'accepted' as const,
            (error: unknown) => {
              expect(error).to.be.instanceOf(RemoteError);
              expect((error as RemoteError).response).to.include({ code: 'INSUFFICIENT_FUNDS' });
              return 'refused' as const;
            },
          );
        }),
      );
      const accepted = outcomes.filter((outcome) => outcome === 'accepted').length;
      expect(accepted).to.be.greaterThan(0);
      expect(outcomes).to.include('refused');

      // Wait until the processor has credited every debit, as the projection sees it.
      const settled = await firstValueFrom(
        bank.balances.state$.pipe(filter((state) => state.applied === accounts.length * 2 + accepted * 2)),
      );
      expect(totalBalance(settled)).to.equal(6_000);
      for (const account of Object.values(settled.accounts)) expect(account.balance).to.be.at.least(0);

      const events = (
        await lastValueFrom(
          replay<BankEvent>(bank.eventsTopic, { client: { brokers: [...brokers] }, until: 'caught-up' }).pipe(
            toArray(),
          ),
        )
      ).map(({ value }) => value);
      const debits = events.filter((event) => event.type === 'TransferDebited');
      const credits = events.filter((event) => event.type === 'TransferCredited');
      expect(debits).to.have.length(accepted);
      expect(credits.map((credit) => credit.transferId).sort()).to.deep.equal(
        debits.map((debit) => debit.transferId).sort(),
      );
    } finally {
      await bank.close();
    }
    // A restart from the latest snapshot ends where the running bank ended, without replaying everything.
    const restarted = openBalances({ brokers, logger, name });
    try {
      await firstValueFrom(restarted.caughtUp$);
      expect(restarted.state).to.deep.equal(bank.balances.state);
      expect(restarted.restoredFrom).to.not.equal(undefined);
      expect(restarted.applied).to.be.lessThan(bank.balances.state.applied);
    } finally {
      await restarted.close();
    }
    expect(logger.entries.filter((entry) => entry.level === 'error')).to.deep.equal([]);
  });
});
