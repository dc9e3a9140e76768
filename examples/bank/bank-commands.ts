/**
 * The bank's commands and the rule that turns one into an event or refuses it. Pure: the controller looks
 * the account up in the balances projection and writes the event this returns.
 */
import { RpcException } from '../../lib';
import { isAmount, type BankEvent } from './bank-events';
import type { Balances } from './balances';

export interface OpenAccount {
  readonly accountId: string;
  readonly owner: string;
}
export interface MoveMoney {
  readonly accountId: string;
  readonly amount: number;
}
export interface Transfer {
  readonly transferId: string;
  readonly from: string;
  readonly to: string;
  readonly amount: number;
}

/** Why a command was refused: the error reply's `code` (the client sees it in RemoteError.response). */
export type Refusal = 'BAD_COMMAND' | 'NO_SUCH_ACCOUNT' | 'ACCOUNT_EXISTS' | 'INSUFFICIENT_FUNDS';

function refuse(code: Refusal, message: string): never {
  throw new RpcException({ code, message });
}

function accountOf(state: Balances, accountId: unknown) {
  if (typeof accountId !== 'string' || accountId === '') refuse('BAD_COMMAND', 'accountId must be a string');
  return state.accounts[accountId] ?? refuse('NO_SUCH_ACCOUNT', `no account ${accountId}`);
}

function checkAmount(amount: unknown): number {
  if (!isAmount(amount))
    refuse('BAD_COMMAND', `amount must be a positive whole number of cents, got ${amount}`);
  return amount;
}

export function decideOpen(state: Balances, command: OpenAccount): BankEvent {
  if (typeof command?.accountId !== 'string' || command.accountId === '' || typeof command.owner !== 'string')
    refuse('BAD_COMMAND', 'open needs an accountId and an owner');
  if (state.accounts[command.accountId]) refuse('ACCOUNT_EXISTS', `account ${command.accountId} exists`);
  return { type: 'AccountOpened', accountId: command.accountId, owner: command.owner };
}

export function decideDeposit(state: Balances, command: MoveMoney): BankEvent {
  const amount = checkAmount(command?.amount);
  accountOf(state, command.accountId);
  return { type: 'MoneyDeposited', accountId: command.accountId, amount };
}

export function decideWithdraw(state: Balances, command: MoveMoney): BankEvent {
  const amount = checkAmount(command?.amount);
  const account = accountOf(state, command.accountId);
  if (account.balance < amount)
    refuse('INSUFFICIENT_FUNDS', `account ${command.accountId} holds ${account.balance}, not ${amount}`);
  return { type: 'MoneyWithdrawn', accountId: command.accountId, amount };
}

export function decideTransfer(state: Balances, command: Transfer): BankEvent {
  const amount = checkAmount(command?.amount);
  if (typeof command.transferId !== 'string' || command.transferId === '')
    refuse('BAD_COMMAND', 'transfer needs a transferId');
  if (command.from === command.to) refuse('BAD_COMMAND', 'a transfer needs two different accounts');
  const from = accountOf(state, command.from);
  accountOf(state, command.to);
  if (from.balance < amount)
    refuse('INSUFFICIENT_FUNDS', `account ${command.from} holds ${from.balance}, not ${amount}`);
  return {
    type: 'TransferDebited',
    accountId: command.from,
    transferId: command.transferId,
    to: command.to,
    amount,
  };
}

/** The credit that completes a debit: what the transfer processor writes, exactly once per debit. */
export function creditFor(debit: Extract<BankEvent, { type: 'TransferDebited' }>): BankEvent {
  return {
    type: 'TransferCredited',
    accountId: debit.to,
    transferId: debit.transferId,
    from: debit.accountId,
    amount: debit.amount,
  };
}
