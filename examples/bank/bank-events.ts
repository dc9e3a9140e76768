/**
 * The bank's events, as they sit in the `bank.events` topic keyed by account id. A transfer is two events:
 * the debit, written by the command that asked for it, and the credit, written exactly once by the transfer
 * processor in the same Kafka transaction that consumes the debit.
 */
export type BankEvent =
  | { readonly type: 'AccountOpened'; readonly accountId: string; readonly owner: string }
  | { readonly type: 'MoneyDeposited'; readonly accountId: string; readonly amount: number }
  | { readonly type: 'MoneyWithdrawn'; readonly accountId: string; readonly amount: number }
  | {
      readonly type: 'TransferDebited';
      readonly accountId: string;
      readonly transferId: string;
      readonly to: string;
      readonly amount: number;
    }
  | {
      readonly type: 'TransferCredited';
      readonly accountId: string;
      readonly transferId: string;
      readonly from: string;
      readonly amount: number;
    };

export const BANK_EVENTS_TOPIC = 'bank.events';

/** True for a value that has the shape of a BankEvent (the projection skips anything else). */
export function isBankEvent(value: unknown): value is BankEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  if (typeof event.accountId !== 'string') return false;
  switch (event.type) {
    case 'AccountOpened':
      return typeof event.owner === 'string';
    case 'MoneyDeposited':
    case 'MoneyWithdrawn':
      return isAmount(event.amount);
    case 'TransferDebited':
      return isAmount(event.amount) && typeof event.to === 'string' && typeof event.transferId === 'string';
    case 'TransferCredited':
      return isAmount(event.amount) && typeof event.from === 'string' && typeof event.transferId === 'string';
    default:
      return false;
  }
}

/** Amounts are whole cents, positive. */
export function isAmount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
