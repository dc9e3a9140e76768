/**
 * Liveness and readiness derived from the actors themselves, not from a ping: a process is live while none
 * of its connections gave up (`failed`) and no partition has held a record in flight past a threshold; it
 * is ready while every connection is `assigned` (consumers) or `connected` (producer-only).
 */
import type { KafkaConnection } from '../connection/kafka-connection';

export interface HealthOptions {
  /** A partition with a record in flight for longer than this makes the process not live. @defaultValue 120_000 */
  readonly stuckAfterMs?: number;
  /**
   * `/healthz` explains (its `stuck` field, see explainStuck()) each partition whose committed offset has
   * stood still this long with work waiting, and each client request waiting this long. @defaultValue 30_000
   */
  readonly explainStuckAfterMs?: number;
  /** The clock `stuck` is measured with (epoch milliseconds). @defaultValue Date.now */
  readonly now?: () => number;
}

export interface HealthVerdict {
  readonly ok: boolean;
  /** Why not, one line per connection or partition; empty when ok. */
  readonly reasons: string[];
}

export const DEFAULT_STUCK_AFTER_MS = 120_000;

/** Live: no connection `failed`, no partition stuck with a record in flight. */
export function checkLiveness(
  connections: ReadonlyMap<string, KafkaConnection>,
  { stuckAfterMs = DEFAULT_STUCK_AFTER_MS }: HealthOptions = {},
): HealthVerdict {
  const reasons: string[] = [];
  for (const [name, connection] of connections) {
    if (connection.state === 'failed') {
      const error = connection.actor.getSnapshot().context.lastError;
      reasons.push(`${name} failed${error ? `: ${error.name}: ${error.message}` : ''}`);
    }
    for (const { id, context } of connection.partitions) {
      if (context.inFlight > 0 && (context.oldestInFlightMs ?? 0) > stuckAfterMs) {
        reasons.push(`${name} ${id} has had a record in flight for ${context.oldestInFlightMs} ms`);
      }
    }
  }
  return { ok: reasons.length === 0, reasons };
}

/** Ready: every connection serves (`assigned` or `connected`). */
export function checkReadiness(connections: ReadonlyMap<string, KafkaConnection>): HealthVerdict {
  const reasons: string[] = [];
  if (connections.size === 0) reasons.push('no connection yet');
  for (const [name, connection] of connections) {
    if (!connection.actor.getSnapshot().hasTag('ready')) reasons.push(`${name} is ${connection.state}`);
  }
  return { ok: reasons.length === 0, reasons };
}
