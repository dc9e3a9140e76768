/**
 * The kafkajs workaround for `sendOffsets` on CONCURRENT_TRANSACTIONS.
 *
 * Why: kafkajs 2.2.4's eosManager retries CONCURRENT_TRANSACTIONS (Kafka error 51) for InitProducerId and
 * for sends, but its `sendOffsets` sends AddOffsetsToTxn once and throws the error (kafkajs issues #430 and
 * #1068). The coordinator answers 51 while it is still completing the previous transaction of the same
 * transactional id, so back-to-back transactions hit it: measured against Kafka 4.1.1, 18 of 30 and 10 of 30
 * back-to-back offsets-only transactions failed, and retrying every 20 ms made 30 of 30 pass. The failed
 * AddOffsetsToTxn leaves kafkajs's transaction open (still TRANSACTING), so sending again is safe.
 */
import { walkCauses } from '../error-chain';

/** How often and how long `sendOffsets` is retried on CONCURRENT_TRANSACTIONS. */
export interface SendOffsetsRetry {
  /** @defaultValue 20 */
  readonly everyMs: number;
  /** Past this, the last error is thrown. @defaultValue 10_000 */
  readonly forMs: number;
}

export const SEND_OFFSETS_RETRY: SendOffsetsRetry = Object.freeze({ everyMs: 20, forMs: 10_000 });

const CONCURRENT_TRANSACTIONS = 51;

/** True when `error` (or an error it wraps) is Kafka's CONCURRENT_TRANSACTIONS. */
export function isConcurrentTransactions(error: unknown): boolean {
  for (const link of walkCauses(error)) {
    if (link.type === 'CONCURRENT_TRANSACTIONS' || link.code === CONCURRENT_TRANSACTIONS) return true;
  }
  return false;
}

/** Runs `send` (a transaction's `sendOffsets`), again every `everyMs` while it fails with error 51. */
export async function sendOffsetsRetrying(
  send: () => Promise<void>,
  retry: SendOffsetsRetry = SEND_OFFSETS_RETRY,
): Promise<{ retries: number }> {
  const deadline = Date.now() + retry.forMs;
  for (let retries = 0; ; retries += 1) {
    try {
      await send();
      return { retries };
    } catch (error) {
      if (!isConcurrentTransactions(error) || Date.now() + retry.everyMs > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, retry.everyMs));
    }
  }
}
