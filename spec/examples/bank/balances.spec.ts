import { expect } from 'chai';
import { applyBankEvent, NO_BALANCES, totalBalance, type Balances } from '../../../examples/bank/balances';
import type { BankEvent } from '../../../examples/bank/bank-events';

const fold = (events: unknown[], from: Balances = NO_BALANCES) =>
  events.reduce<Balances>(applyBankEvent, from);

describe('applyBankEvent() (the bank example’s balances projection)', () => {
  const opened: BankEvent[] = [
    { type: 'AccountOpened', accountId: 'a', owner: 'Ada' },
    { type: 'AccountOpened', accountId: 'b', owner: 'Bob' },
    { type: 'MoneyDeposited', accountId: 'a', amount: 500 },
  ];

  it('opens accounts at 0 and adds deposits', () => {
    expect(fold(opened).accounts).to.deep.equal({
      a: { owner: 'Ada', balance: 500 },
      b: { owner: 'Bob', balance: 0 },
    });
  });

  it('moves money with a debit and its credit, keeping the total', () => {
    const state = fold([
      ...opened,
      { type: 'TransferDebited', accountId: 'a', transferId: 't1', to: 'b', amount: 200 },
      { type: 'TransferCredited', accountId: 'b', transferId: 't1', from: 'a', amount: 200 },
      { type: 'MoneyWithdrawn', accountId: 'b', amount: 50 },
    ]);
    expect(state.accounts.a.balance).to.equal(300);
    expect(state.accounts.b.balance).to.equal(150);
    expect(totalBalance(state)).to.equal(450);
    expect(state.applied).to.equal(6);
  });

  it('counts a value that is not a bank event as skipped and changes nothing else', () => {
    const before = fold(opened);
    const after = fold(['garbage', { type: 'MoneyDeposited', accountId: 'a', amount: -5 }, null], before);
    expect(after.accounts).to.deep.equal(before.accounts);
    expect(after.skipped).to.equal(3);
  });

  it('leaves the state it was given as it was', () => {
    const before = fold(opened);
    const copy = JSON.parse(JSON.stringify(before));
    applyBankEvent(before, { type: 'MoneyDeposited', accountId: 'a', amount: 1 });
    expect(before).to.deep.equal(copy);
  });
});
