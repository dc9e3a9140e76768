/**
 * The bank's command handlers: each request is a command, refused with an error reply (an RpcException
 * with a `code`) or turned into one event. Requests are keyed by account and the server runs with
 * `ordering: 'key'`, so the commands of one account run one at a time, each against the balances its
 * predecessor left, while different accounts run concurrently.
 */
import { inject } from 'inversify';
import { Controller, MessagePattern, Payload } from '../../lib';
import {
  decideDeposit,
  decideOpen,
  decideTransfer,
  decideWithdraw,
  type MoveMoney,
  type OpenAccount,
  type Transfer,
} from './bank-commands';
import type { BankEvent } from './bank-events';
import { BANK_LEDGER, type BankLedger } from './bank-ledger';
import type { Account } from './balances';

export const BANK_COMMANDS = ['bank.open', 'bank.deposit', 'bank.withdraw', 'bank.transfer', 'bank.balance'];

/** What a command answers: the event it wrote and where. */
export interface CommandReceipt {
  readonly event: BankEvent;
  readonly partition: number;
  readonly offset: string;
}

@Controller()
export class BankController {
  constructor(@inject(BANK_LEDGER) private readonly ledger: BankLedger) {}

  @MessagePattern('bank.open')
  open(@Payload() command: OpenAccount): Promise<CommandReceipt> {
    return this.#write(decideOpen(this.ledger.balances, command));
  }

  @MessagePattern('bank.deposit')
  deposit(@Payload() command: MoveMoney): Promise<CommandReceipt> {
    return this.#write(decideDeposit(this.ledger.balances, command));
  }

  @MessagePattern('bank.withdraw')
  withdraw(@Payload() command: MoveMoney): Promise<CommandReceipt> {
    return this.#write(decideWithdraw(this.ledger.balances, command));
  }

  /** Debits the payer now; the transfer processor credits the payee exactly once. */
  @MessagePattern('bank.transfer')
  transfer(@Payload() command: Transfer): Promise<CommandReceipt> {
    return this.#write(decideTransfer(this.ledger.balances, command));
  }

  /** A query: answered from the projection, writes nothing. */
  @MessagePattern('bank.balance')
  balance(@Payload() query: { accountId: string }): Account | null {
    return this.ledger.balances.accounts[query?.accountId] ?? null;
  }

  async #write(event: BankEvent): Promise<CommandReceipt> {
    return { event, ...(await this.ledger.append(event)) };
  }
}
