/**
 * Publishes the transitions of a connection actor and of its partition actors on the diagnostics channels
 * (`rxkafka:connection:transition`, `rxkafka:partition:transition`). Only inspection events carry the event
 * that caused a snapshot, so this registers with the actor's system, as observeTransitions() does.
 */
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { publishConnectionTransition, publishPartitionTransition } from '../diagnostics/publish-diagnostics';
import { toConnectionStateValue, type ConnectionSnapshot } from './connection-machine';
import { hasTopLevelChange, type ConnectionActor } from './inspection';
import type { PartitionContext } from './partition-machine';

const INIT_EVENT = 'xstate.init';

/**
 * Publishes `actor`'s transitions from now on until it stops: call it before `actor.start()` so its start
 * is published too. The state each actor was last in is kept whether anyone listens or not (a reference
 * per snapshot), so a listener that subscribes later still gets the right `from`.
 */
export function publishTransitions(actor: ConnectionActor): void {
  let previousSnapshot: ConnectionSnapshot = actor.getSnapshot();
  // Each partition actor's last state.
  const previousStates = new WeakMap<object, string>();
  const onInspection = (inspection: InspectionEvent): void => {
    if (inspection.type !== '@xstate.snapshot') return;
    // Every actor of this connection's system: the connection actor and its partition actors.
    const ref = inspection.actorRef as AnyActorRef;
    const isStart = inspection.event.type === INIT_EVENT;
    if (ref === actor) {
      const before = previousSnapshot;
      const snapshot = inspection.snapshot as ConnectionSnapshot;
      previousSnapshot = snapshot;
      if (!isStart && !hasTopLevelChange(before, snapshot)) return;
      const from = isStart ? undefined : toConnectionStateValue(before.value);
      const to = toConnectionStateValue(snapshot.value);
      publishConnectionTransition(actor, from, to, inspection.event.type, snapshot.context.assignment);
      return;
    }
    if (!ref.id.startsWith('partition:')) return;
    const snapshot = inspection.snapshot as unknown as { value: unknown; context: PartitionContext };
    const state = String(snapshot.value);
    const before = isStart ? undefined : previousStates.get(ref);
    previousStates.set(ref, state);
    if (before === state) return;
    const { topic, partition } = snapshot.context;
    publishPartitionTransition(actor, topic, partition, before, state, inspection.event.type);
  };
  const inspection = actor.system.inspect(onInspection);
  // No error callback: one would count as handling the actor's errors, which xstate otherwise reports.
  actor.subscribe({ complete: () => inspection.unsubscribe() });
}
