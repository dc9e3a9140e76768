/**
 * The connection's state as a user-facing status, named like NestJS's `KafkaStatus` where the meaning matches.
 */
import type { StateValue } from 'xstate';
import { toConnectionStateValue, type ConnectionStateValue } from './connection-machine';

/**
 * Where a connection stands, as `status$`-style observers see it.
 *
 * NestJS's `KafkaStatus` (@nestjs/microservices `events/kafka.events.d.ts`) has `connected`, `disconnected`,
 * `rebalancing`, `crashed` and `stopped`, each echoing one kafkajs event (server-kafka.js / client-kafka.js
 * `registerConsumerEventListeners`). The shared names keep their meaning, with two differences:
 * - `connected` here means ready to work (assigned partitions, or a producer-only connection is up), where
 *   NestJS reports it on the consumer's CONNECT, before the group join.
 * - NestJS's transient `crashed` has no value of its own: after a crash the connection is `reconnecting`
 *   (kafkajs or rxkafka restarts it) or `failed` (nobody will).
 * `connecting`, `reconnecting`, `draining` and `failed` are rxkafka's additions.
 */
export type ConnectionStatus =
  | 'disconnected'
  | 'connecting'
  | 'connected'
  | 'rebalancing'
  | 'reconnecting'
  | 'draining'
  | 'stopped'
  | 'failed';

const STATUS_BY_STATE: Readonly<Record<ConnectionStateValue, ConnectionStatus>> = Object.freeze({
  idle: 'disconnected',
  connecting: 'connecting',
  connected: 'connected',
  assigned: 'connected',
  rebalancing: 'rebalancing',
  reconnecting: 'reconnecting',
  draining: 'draining',
  stopped: 'stopped',
  failed: 'failed',
});

/** The status of a connection snapshot, or of its state value (`'assigned'`, `{ connecting: 'joining' }`). */
export function toConnectionStatus(source: { readonly value: StateValue } | StateValue): ConnectionStatus {
  const value = isSnapshotLike(source) ? source.value : source;
  return STATUS_BY_STATE[toConnectionStateValue(value)];
}

function isSnapshotLike(
  source: { readonly value: StateValue } | StateValue,
): source is { value: StateValue } {
  return typeof source === 'object' && 'value' in source;
}
