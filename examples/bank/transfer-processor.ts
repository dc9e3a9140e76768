/**
 * Completes transfers: reads `bank.events` and, for each debit, writes the payee's credit to the same
 * topic in one Kafka transaction with the debit's offset. A crash, a restart or a rebalance can neither
 * lose a credit nor write one twice.
 */
import { processExactlyOnce, type ExactlyOnceProcessor, type Logger } from '../../lib';
import { creditFor } from './bank-commands';
import { isBankEvent, type BankEvent } from './bank-events';

export interface TransferProcessorOptions {
  readonly brokers: readonly string[];
  readonly eventsTopic: string;
  readonly groupId: string;
  readonly logger: Logger;
}

export function startTransferProcessor(options: TransferProcessorOptions): ExactlyOnceProcessor {
  return processExactlyOnce({
    client: { brokers: [...options.brokers], clientId: 'bank-transfers' },
    groupId: options.groupId,
    topics: [options.eventsTopic],
    fromBeginning: true,
    transactionalIdPrefix: options.groupId,
    logger: options.logger,
    transform: ({ message }) => {
      const event = parseEvent(message.value);
      if (!event || event.type !== 'TransferDebited') return;
      const credit = creditFor(event);
      return { topic: options.eventsTopic, key: credit.accountId, value: credit };
    },
  });
}

/** A record that is not a bank event is not a debit: skipped here, and counted by the projection. */
function parseEvent(value: Buffer | null): BankEvent | undefined {
  try {
    const event: unknown = JSON.parse(String(value));
    return isBankEvent(event) ? event : undefined;
  } catch {
    return undefined;
  }
}
