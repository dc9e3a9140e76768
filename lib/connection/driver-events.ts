/**
 * The driver's events as the connection machine's events, and what a machine state lets batches do.
 */
import type { DriverConsumerEvent, DriverProducerEvent } from '../kafka/kafka-driver';
import {
  createCrashedEvent,
  createGroupGenerationEvent,
  createGroupJoinedEvent,
  createPartitionsAssignedEvent,
  createPartitionsRevokedEvent,
  createProducerLostEvent,
  createRebalanceStartedEvent,
  type ConnectionEvent,
  type DrainMode,
} from './connection-events';
import type { ConnectionSnapshot } from './connection-machine';

/**
 * What the batches of a connection may do, read from its machine: `running` consumes; `drain` (close() is
 * finishing in-flight records, or the connection stopped after one) starts no new batch; `abandon` (close()
 * stopped waiting) also resolves nothing more.
 */
export type DispatchMode = 'running' | DrainMode;

/** The machine event for a consumer's event; undefined for what the machine does not act on. */
export function fromConsumerEvent(event: DriverConsumerEvent): ConnectionEvent | undefined {
  switch (event.type) {
    case 'group.joined':
      return createGroupJoinedEvent(event);
    case 'group.generation':
      return createGroupGenerationEvent(event.memberId, event.generationId);
    case 'rebalancing':
      return createRebalanceStartedEvent();
    case 'partitions.assigned':
      return createPartitionsAssignedEvent(event.partitions);
    case 'partitions.revoked':
      return createPartitionsRevokedEvent(event.partitions);
    case 'crashed':
      return createCrashedEvent(event.error, event.restart);
    case 'offsets.committed':
    case 'records.skipped':
      return undefined;
  }
}

/** The machine event for a producer's event. */
export function fromProducerEvent(event: DriverProducerEvent): ConnectionEvent {
  return createProducerLostEvent(event.error);
}

/** What batches may do in `snapshot`'s state (see DispatchMode). */
export function toDispatchMode(snapshot: ConnectionSnapshot): DispatchMode {
  if (snapshot.matches({ draining: 'abandoning' })) return 'abandon';
  if (snapshot.matches('draining')) return 'drain';
  if (snapshot.matches('stopped')) return snapshot.context.drainMode ?? 'drain';
  return 'running';
}
