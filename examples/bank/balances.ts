/**
 * The balances read model: what the projection folds `bank.events` into. Pure and JSON-serialisable, so a
 * snapshot is the state as it is.
 */
import { isBankEvent, type BankEvent } from './bank-events';

export interface Account {
  readonly owner: string;
  /** Whole cents. */
  readonly balance: number;
}

export interface Balances {
  readonly accounts: Readonly<Record<string, Account>>;
  /** Events applied, and events skipped because they did not parse (a bank never drops one silently). */
  readonly applied: number;
  readonly skipped: number;
}

export const NO_BALANCES: Balances = { accounts: {}, applied: 0, skipped: 0 };

/** Folds one event into the balances; a value that is not a BankEvent is counted, not applied. */
export function applyBankEvent(state: Balances, value: unknown): Balances {
  if (!isBankEvent(value)) return { ...state, skipped: state.skipped + 1 };
  const accounts = { ...state.accounts, ...changedAccount(state.accounts, value) };
  return { accounts, applied: state.applied + 1, skipped: state.skipped };
}

function changedAccount(accounts: Balances['accounts'], event: BankEvent): Record<string, Account> {
  const account = accounts[event.accountId];
  switch (event.type) {
    case 'AccountOpened':
      return account ? {} : { [event.accountId]: { owner: event.owner, balance: 0 } };
    case 'MoneyDeposited':
    case 'TransferCredited':
      return account ? { [event.accountId]: { ...account, balance: account.balance + event.amount } } : {};
    case 'MoneyWithdrawn':
    case 'TransferDebited':
      return account ? { [event.accountId]: { ...account, balance: account.balance - event.amount } } : {};
  }
}

/** The money in the bank: deposits minus withdrawals once every transfer is credited. */
export function totalBalance(state: Balances): number {
  return Object.values(state.accounts).reduce((sum, account) => sum + account.balance, 0);
}
