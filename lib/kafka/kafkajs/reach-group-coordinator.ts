/**
 * The kafkajs workaround for a join that dies on one failed coordinator lookup.
 *
 * Why: kafkajs 2.2.4 finds a group's coordinator by asking each broker it knows in turn and swallowing
 * every error on the way, a closed or timed-out connection included (cluster/index.js,
 * findGroupCoordinatorMetadata). When no broker answered it throws KafkaJSGroupCoordinatorNotFound, which
 * it counts as not retriable: a consumer whose join meets it crashes and kafkajs does not restart it. Seen
 * in this project's CI: a connect() after close() went straight to `failed` with "Failed to find group
 * coordinator". Looking the coordinator up once before the consumer runs, again while that fails, leaves a
 * live connection for the join; a coordinator that stays out of reach becomes a failed connect attempt,
 * which the connection retries with its backoff instead of failing for good.
 */

import { RxKafkaError } from '../../errors';

/** How often and how far apart the lookup is tried. */
export interface CoordinatorLookupRetry {
  /** @defaultValue 4 */
  readonly attempts: number;
  /** Before the second attempt; doubles after each. @defaultValue 100 */
  readonly delayMs: number;
}

export const COORDINATOR_LOOKUP_RETRY: CoordinatorLookupRetry = Object.freeze({ attempts: 4, delayMs: 100 });

/**
 * Resolves once `lookUp` (a kafkajs consumer's `describeGroup()`, which asks the group's coordinator) has
 * succeeded; rejects with its last error after `retry.attempts` failures.
 */
export async function reachGroupCoordinator(
  lookUp: () => Promise<unknown>,
  retry: CoordinatorLookupRetry = COORDINATOR_LOOKUP_RETRY,
): Promise<{ attempts: number }> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await lookUp();
      return { attempts: attempt };
    } catch (error) {
      // An rxkafka verdict that retrying cannot change (a refused group) ends the lookup at once.
      if (attempt >= retry.attempts || isFinal(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, retry.delayMs * 2 ** (attempt - 1)));
    }
  }
}

function isFinal(error: unknown): boolean {
  return RxKafkaError.isRxKafkaError(error) && !error.retriable;
}
