/**
 * `npm run bank`: the bank example, step by step. Opens two accounts, deposits, transfers (the debit by
 * command, the credit by the exactly-once processor), refuses an overdraft, then closes everything and
 * starts the balances projection again from its snapshot.
 */
import { randomBytes } from 'node:crypto';
import { filter, firstValueFrom } from 'rxjs';
import { RemoteError, type KafkaClient, type Logger } from '../../lib';
import type { CommandReceipt } from './bank.controller';
import { totalBalance } from './balances';
import { openBalances, startBank } from './run-bank';

export async function runBankWalkthrough(
  brokers: readonly string[],
  print: (line: string) => void,
  logger: Logger,
): Promise<void> {
  // A bank of its own per run: its events and snapshots start empty on a cluster that ran it before.
  const name = `bank-${randomBytes(3).toString('hex')}`;
  const bank = await startBank({ brokers, logger, name, snapshotEvery: 3 });
  print(`bank ${name} open: commands on ${bank.server.connection.state}, events in ${bank.eventsTopic}`);
  const { client } = bank;
  for (const [accountId, owner] of [
    ['alice', 'Alice'],
    ['bob', 'Bob'],
  ]) {
    await command(client, print, 'bank.open', accountId, { accountId, owner });
  }
  await command(client, print, 'bank.deposit', 'alice', { accountId: 'alice', amount: 10_000 });
  await command(client, print, 'bank.transfer', 'alice', {
    transferId: 't-1',
    from: 'alice',
    to: 'bob',
    amount: 3_000,
  });
  const credited = await firstValueFrom(
    bank.balances.state$.pipe(filter((state) => state.accounts.bob?.balance === 3_000)),
  );
  print(`the transfer processor credited bob: ${JSON.stringify(credited.accounts)}`);
  await command(client, print, 'bank.withdraw', 'bob', { accountId: 'bob', amount: 5_000 });
  const balance = await firstValueFrom(
    client.send('bank.balance', { key: 'bob', value: { accountId: 'bob' } }),
  );
  print(`bank.balance bob → ${JSON.stringify(balance)}`);
  print(`money in the bank: ${totalBalance(bank.balances.state)} cents`);

  const { server, processor } = await bank.close();
  print(
    `closed: ${server.recordsFinished} commands handled, ${processor.transactionsCommitted} transactions ` +
      `committed by the transfer processor, ${bank.balances.snapshotsWritten} snapshots written`,
  );

  const restarted = openBalances({ brokers, logger, name });
  await firstValueFrom(restarted.caughtUp$);
  print(
    `balances restarted from the snapshot at ${JSON.stringify(restarted.restoredFrom)}: replayed ` +
      `${restarted.applied} events, same state: ${JSON.stringify(restarted.state) === JSON.stringify(bank.balances.state)}`,
  );
  await restarted.close();
}

/** Sends one command keyed by its account and prints the event it wrote, or why it was refused. */
async function command(
  client: KafkaClient,
  print: (line: string) => void,
  pattern: string,
  accountId: string,
  value: object,
): Promise<void> {
  try {
    const receipt = await firstValueFrom(client.send<CommandReceipt>(pattern, { key: accountId, value }));
    print(
      `${pattern} ${JSON.stringify(value)} → ${receipt.event.type} at ${receipt.partition}/${receipt.offset}`,
    );
  } catch (error) {
    if (!(error instanceof RemoteError)) throw error;
    print(`${pattern} ${JSON.stringify(value)} → refused: ${JSON.stringify(error.response)}`);
  }
}
