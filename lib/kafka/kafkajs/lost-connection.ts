/**
 * Tells a send that failed because no broker could be reached from one the brokers refused (a record too
 * large, a topic not authorized): only the first says the producer lost its connection.
 */
import { walkCauses } from '../error-chain';

// What kafkajs 2.2.4 throws when sockets fail (network/connection.js, cluster/brokerPool.js): refused or
// reset connections, sockets closed under a request, no broker left to ask.
const LOST_CONNECTION_ERRORS: ReadonlySet<string> = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSBrokerNotFound',
]);

/** True when `error` (or an error it wraps) says no broker could be reached. */
export function isLostConnection(error: unknown): boolean {
  for (const link of walkCauses(error)) {
    if (LOST_CONNECTION_ERRORS.has(link.name)) return true;
  }
  return false;
}
