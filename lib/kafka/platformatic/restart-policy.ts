/**
 * When a consumer whose stream failed is built again (platformatic/kafka#41: a failed stream is never
 * restarted by the library), and when that stops.
 */
import { isUnreachableBroker } from './platformatic-connect-failure';
import { isLostConnection } from './platformatic-errors';

/**
 * The waits before each attempt to restart a consumer whose stream failed. Past the last, it tries again at
 * that interval for as long as the broker cannot be reached (a broker restart may take longer than the list,
 * and a connection that has served keeps retrying, as with kafkajs); any other failure then gives up.
 */
export const RESTART_DELAYS_MS = [300, 1_000, 3_000, 5_000, 10_000] as const;

/** True while another attempt is due: within the list of waits, or past it while the broker is away. */
export function mayRestartAgain(delays: readonly number[], attempt: number, lastError: unknown): boolean {
  return attempt < delays.length || isUnreachableBroker(lastError) || isLostConnection(lastError);
}
