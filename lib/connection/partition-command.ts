/**
 * An operator's command to one partition of a connection (pause it, resume it), and the check it passes
 * before it becomes an event of the actor it addresses. A command is refused, with the reason in words an
 * operator can act on, whenever the connection or the partition actor would not take it now: nothing
 * changes then, and nothing reaches the chart.
 */
import type { ConnectionStateValue } from './connection-context';
import type { OperatorPartitionEvent } from './connection-events';
import type { PartitionActor } from './partition-machine';

/** What an operator can ask of one partition. */
export interface PartitionCommand {
  readonly type: 'pause' | 'resume';
  readonly topic: string;
  readonly partition: number;
  /** Who asks (a user name, `inspector`, a tool): kept in the partition's context and the event log. */
  readonly by: string;
}

/** A command's outcome: taken (its event was sent), or refused with the reason. */
export type CommandOutcome =
  { readonly accepted: true } | { readonly accepted: false; readonly reason: string };

/** What the check reads of the connection. */
export interface CommandTarget {
  readonly clientId: string;
  readonly state: ConnectionStateValue;
  readonly hasConsumer: boolean;
  /** The driver can pause one partition (`capabilities.pausesPartitions`). */
  readonly pausesPartitions: boolean;
  readonly partitionActor: (topic: string, partition: number) => PartitionActor | undefined;
}

/** The connection event a command becomes, at `at` (epoch milliseconds). */
export function toOperatorEvent(command: PartitionCommand, at: number): OperatorPartitionEvent {
  const { topic, partition, by } = command;
  return { type: command.type === 'pause' ? 'operator.pause' : 'operator.resume', topic, partition, by, at };
}

/** Undefined when the connection and the partition's actor take `event` now; else why not. */
export function refusePartitionCommand(
  target: CommandTarget,
  event: OperatorPartitionEvent,
): string | undefined {
  const { topic, partition } = event;
  const name = `${topic}/${partition}`;
  const verb = event.type === 'operator.pause' ? 'pause' : 'resume';
  if (!target.hasConsumer) return `connection ${target.clientId} only produces: it has no partition ${name}`;
  if (!target.pausesPartitions)
    return `connection ${target.clientId}'s driver cannot ${verb} one partition: use driver 'kafkajs'`;
  if (target.state !== 'assigned')
    return `connection ${target.clientId} is ${target.state}, not assigned: ${verb} once it holds its partitions`;
  const actor = target.partitionActor(topic, partition);
  if (actor === undefined) return `partition ${name} is not assigned to connection ${target.clientId}`;
  const snapshot = actor.getSnapshot();
  if (snapshot.can({ type: event.type, by: event.by, at: event.at })) return undefined;
  const state = String(snapshot.value);
  return event.type === 'operator.pause'
    ? `partition ${name} is ${state}: only an idle or processing partition can be paused`
    : `partition ${name} is ${state}: only a paused partition can be resumed`;
}
