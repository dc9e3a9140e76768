/**
 * What a connection actor did, as data: a stream of its top-level transitions and the serialized machine
 * definition, for logs and inspection tools.
 */
import { Observable } from 'rxjs';
import type { Actor, AnyStateNode, AnyTransitionDefinition, InspectionEvent } from 'xstate';
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
    return inspectUntilStopped(actor, onInspection, subscriber);
  });
}

/**
 * One edge of the chart: a transition from one state to another, by the event that takes it. States are
 * dotted paths (`connecting.starting`); events are xstate's types, its own included
 * (`xstate.done.actor.connectKafka`, `xstate.after.<delay>.<state id>`, `always` for an eventless one).
 */
export interface ChartEdge {
  readonly from: string;
  readonly event: string;
  readonly to: string;
}

/** A chart edge an actor took, and when. */
export interface TakenEdge extends ChartEdge {
  readonly actorId: string;
  /** Epoch milliseconds when the stream saw it. */
  readonly at: number;
}

/**
 * Every edge of `machine`'s chart, in the definition's order: the transitions that have a target (an
 * action-only transition moves nothing, so it is no edge). Transitions that differ only by guard and lead
 * to the same state are one edge.
 */
export function listChartEdges(machine: ConnectionMachine): ChartEdge[] {
  const edges = new Map<string, ChartEdge>();
  const visit = (node: AnyStateNode): void => {
    for (const transitions of node.transitions.values()) {
      for (const edge of toEdges(transitions)) edges.set(edgeKey(edge), edge);
    }
    for (const edge of toEdges(node.always ?? [])) edges.set(edgeKey(edge), edge);
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  return [...edges.values()];
}

/**
 * The chart edges the actor takes from the moment of subscription, every one (child states and eventless
 * transitions included), read from xstate's microsteps: what ran, not what a snapshot diff suggests.
 */
export function observeEdges(
  actor: ConnectionActor,
  { now = Date.now }: ObserveTransitionsOptions = {},
): Observable<TakenEdge> {
  return new Observable<TakenEdge>((subscriber) => {
    const onInspection = (inspection: InspectionEvent): void => {
      if (inspection.type !== '@xstate.microstep' || inspection.actorRef !== actor) return;
      for (const edge of toEdges(inspection._transitions)) {
        subscriber.next({ ...edge, actorId: actor.id, at: now() });
      }
    };
    return inspectUntilStopped(actor, onInspection, subscriber);
  });
}

/**
 * Registers `onInspection` with the actor's system until unsubscribed, and ends `subscriber` as the actor
 * ends (complete when it stops, error when it errors). Returns the teardown.
 */
function inspectUntilStopped(
  actor: ConnectionActor,
  onInspection: (inspection: InspectionEvent) => void,
  subscriber: { complete(): void; error(error: unknown): void },
): () => void {
  const inspection = actor.system.inspect(onInspection);
  const lifecycle = actor.subscribe({
    complete: () => subscriber.complete(),
    error: (error: unknown) => subscriber.error(error),
  });
  return () => {
    inspection.unsubscribe();
    lifecycle.unsubscribe();
  };
}

/** The key that identifies an edge: `from --event--> to`. */
export function edgeKey(edge: ChartEdge): string {
  return `${edge.from} --${edge.event}--> ${edge.to}`;
}

function toEdges(transitions: readonly AnyTransitionDefinition[]): ChartEdge[] {
  return transitions.flatMap((transition) =>
    (transition.target ?? []).map((target) => ({
      from: statePath(transition.source),
      event: transition.eventType === '' ? 'always' : transition.eventType,
      to: statePath(target),
    })),
  );
}

function statePath(node: AnyStateNode): string {
  return node.path.join('.');
}

/** The machine's definition (`machine.toJSON()`): states, transitions, named actions and guards, tags. */
export function toStatechart(machine: ConnectionMachine): ConnectionStatechart {
  return machine.toJSON();
}

/** True when the top-level state or the assignment differs: a transition, as transitions$ counts them. */
export function hasTopLevelChange(previous: ConnectionSnapshot, next: ConnectionSnapshot): boolean {
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
