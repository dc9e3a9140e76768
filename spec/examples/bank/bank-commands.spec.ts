import { expect } from 'chai';
import {
  creditFor,
  decideDeposit,
  decideOpen,
  decideTransfer,
  decideWithdraw,
} from '../../../examples/bank/bank-commands';
import { applyBankEvent, NO_BALANCES, type Balances } from '../../../examples/bank/balances';
import { RpcException } from '../../../lib';

const state: Balances = [
  { type: 'AccountOpened', accountId: 'a', owner: 'Ada' },
  { type: 'AccountOpened', accountId: 'b', owner: 'Bob' },
  { type: 'MoneyDeposited', accountId: 'a', amount: 100 },
].reduce<Balances>(applyBankEvent, NO_BALANCES);

function refusalOf(decide: () => unknown): unknown {
  try {
    decide();
  } catch (error) {
    expect(error).to.be.instanceOf(RpcException);
    return ((error as RpcException).getError() as { code: string }).code;
  }
  throw new Error('the command was not refused');
}

describe('the bank example’s command rules', () => {
  it('opens an account once', () => {
    expect(decideOpen(state, { accountId: 'c', owner: 'Cy' })).to.deep.equal({
      type: 'AccountOpened',
      accountId: 'c',
      owner: 'Cy',
    });
    expect(refusalOf(() => decideOpen(state, { accountId: 'a', owner: 'Ada' }))).to.equal('ACCOUNT_EXISTS');
  });

  it('refuses money for an account that does not exist, and amounts that are not positive whole cents', () => {
    expect(refusalOf(() => decideDeposit(state, { accountId: 'zz', amount: 5 }))).to.equal('NO_SUCH_ACCOUNT');
    for (const amount of [0, -1, 1.5, '5', NaN])
      expect(refusalOf(() => decideDeposit(state, { accountId: 'a', amount: amount as number }))).to.equal(
        'BAD_COMMAND',
      );
  });

  it('refuses to withdraw or transfer more than the balance', () => {
    expect(decideWithdraw(state, { accountId: 'a', amount: 100 }).type).to.equal('MoneyWithdrawn');
    expect(refusalOf(() => decideWithdraw(state, { accountId: 'a', amount: 101 }))).to.equal(
      'INSUFFICIENT_FUNDS',
    );
    expect(
      refusalOf(() => decideTransfer(state, { transferId: 't', from: 'a', to: 'b', amount: 101 })),
    ).to.equal('INSUFFICIENT_FUNDS');
    expect(
      refusalOf(() => decideTransfer(state, { transferId: 't', from: 'a', to: 'a', amount: 1 })),
    ).to.equal('BAD_COMMAND');
  });

  it('turns a transfer into a debit of the payer whose credit goes to the payee', () => {
    const debit = decideTransfer(state, { transferId: 't1', from: 'a', to: 'b', amount: 40 });
    expect(debit).to.deep.equal({
      type: 'TransferDebited',
      accountId: 'a',
      transferId: 't1',
      to: 'b',
      amount: 40,
    });
    if (debit.type !== 'TransferDebited') throw new Error('not a debit');
    expect(creditFor(debit)).to.deep.equal({
      type: 'TransferCredited',
      accountId: 'b',
      transferId: 't1',
      from: 'a',
      amount: 40,
    });
  });
});
