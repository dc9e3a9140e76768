/**
 * What a connection actor did, as data: a stream of its top-level transitions and the serialized machine
 * definition, for logs and inspection tools.
 */
import { Observable } from 'rxjs';
import type { Actor, InspectionEvent } from 'xstate';
import {
  toConnectionStateValue,
  type ConnectionMachine,
  type ConnectionSnapshot,
  type ConnectionStateValue,
} from './connection-machine';

/** One change of a connection's top-level state or assignment. */
export interface ConnectionTransition {
  readonly actorId: string;
  /** `undefined` only for the actor's start (`event` is `'xstate.init'`). */
  readonly from: ConnectionStateValue | undefined;
  readonly to: ConnectionStateValue;
  /** The type of the event that caused it, including xstate's own (`xstate.done.actor.connectKafka`). */
  readonly event: string;
  /** Epoch milliseconds when the stream saw it. */
  readonly at: number;
  readonly assignment: Readonly<Record<string, readonly number[]>>;
}

/** A connection actor: `createActor(connectionMachine.provide(...), { input })`. */
export type ConnectionActor = Actor<ConnectionMachine>;

/** The serialized machine definition, as `JSON.stringify(machine)` writes it. */
export type ConnectionStatechart = ReturnType<ConnectionMachine['toJSON']>;

export interface ObserveTransitionsOptions {
  /** The clock stamped into `at`. @defaultValue Date.now */
  readonly now?: () => number;
}

const INIT_EVENT = 'xstate.init';

/**
 * The actor's transitions from the moment of subscription, one per change of top-level state or assignment
 * (moves between child states such as `connecting.starting` → `connecting.joining` are not transitions here).
 *
 * Each subscription registers its own observer through `actor.system.inspect`, because only inspection
 * events carry the event that caused a snapshot, and removes it on unsubscribe. Subscribe before
 * `actor.start()` to see the start itself (`from: undefined`); a later subscriber sees changes from the
 * current state on, so read `actor.getSnapshot()` for where it stands. Completes when the actor stops,
 * errors when the actor errors.
 */
export function observeTransitions(
  actor: ConnectionActor,
  { now = Date.now }: ObserveTransitionsOptions = {},
): Observable<ConnectionTransition> {
  return new Observable<ConnectionTransition>((subscriber) => {
    let previous: ConnectionSnapshot = actor.getSnapshot();
    const onInspection = (inspection: InspectionEvent): void => {
      if (inspection.type !== '@xstate.snapshot' || inspection.actorRef !== actor) return;
      const snapshot = inspection.snapshot as ConnectionSnapshot;
      const isStart = inspection.event.type === INIT_EVENT;
      if (isStart || hasTopLevelChange(previous, snapshot)) {
        subscriber.next({
          actorId: actor.id,
          from: isStart ? undefined : toConnectionStateValue(previous.value),
          to: toConnectionStateValue(snapshot.value),
          event: inspection.event.type,
          at: now(),
          assignment: snapshot.context.assignment,
        });
      }
      previous = snapshot;
    };
    const inspection = actor.system.inspect(onInspection);
    const lifecycle = actor.subscribe({
      complete: () => subscriber.complete(),
      error: (error: unknown) => subscriber.error(error),
    });
    return () => {
      inspection.unsubscribe();
      lifecycle.unsubscribe();
    };
  });
}

/** The machine's definition (`machine.toJSON()`): states, transitions, named actions and guards, tags. */
export function toStatechart(machine: ConnectionMachine): ConnectionStatechart {
  return machine.toJSON();
}

function hasTopLevelChange(previous: ConnectionSnapshot, next: ConnectionSnapshot): boolean {
  return (
    toConnectionStateValue(previous.value) !== toConnectionStateValue(next.value) ||
    !isSameAssignment(previous.context.assignment, next.context.assignment)
  );
}

function isSameAssignment(
  a: Readonly<Record<string, readonly number[]>>,
  b: Readonly<Record<string, readonly number[]>>,
): boolean {
  if (a === b) return true;
  const topics = Object.keys(a);
  if (topics.length !== Object.keys(b).length) return false;
  return topics.every((topic) => {
    const left = a[topic];
    const right = b[topic];
    return right !== undefined && left.length === right.length && left.every((p, i) => p === right[i]);
  });
}
