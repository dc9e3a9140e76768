/**
 * The connection actors in the event shapes Stately's inspector reads (`@statelyai/inspect` 0.7): an
 * `@xstate.actor` per actor with its machine definition, then `@xstate.event` and `@xstate.snapshot` as
 * they happen, each with `sessionId`, `rootId` and `createdAt`. Hand them to a Stately inspector (it
 * needs stately.ai, so the network) with `relayToStately(connection, (event) => inspector.send(event))`
 * or write them wherever you like. `@statelyai/inspect` itself is not a dependency: it is ESM-only.
 */
import type { ActorRefLike, AnyActorRef, InspectionEvent } from 'xstate';
import type { KafkaConnection } from '../connection/kafka-connection';

interface StatelyBase {
  readonly sessionId: string;
  readonly rootId: string;
  /** Epoch milliseconds, as a string (as Stately's inspector writes it). */
  readonly createdAt: string;
  readonly id: null;
  readonly _version: string;
}

export type StatelyInspectionEvent =
  | (StatelyBase & {
      readonly type: '@xstate.actor';
      readonly name: string;
      /** The machine's config as JSON text, functions turned into `{ type: name }`. */
      readonly definition: string | undefined;
      readonly parentId: string | undefined;
      readonly snapshot: unknown;
    })
  | (StatelyBase & {
      readonly type: '@xstate.event';
      readonly event: unknown;
      readonly sourceId: string | undefined;
    })
  | (StatelyBase & {
      readonly type: '@xstate.snapshot';
      readonly event: unknown;
      readonly snapshot: unknown;
    });

/** The protocol version these shapes follow (`@statelyai/inspect` 0.7.x). */
export const STATELY_PROTOCOL_VERSION = '0.7.2';

/**
 * Sends `connection`'s actor and its children (the partition actors) to `send` in Stately's shapes: first
 * each actor that exists now, then every actor, event and snapshot as it comes. Returns the function that
 * stops it.
 */
export function relayToStately(
  connection: KafkaConnection,
  send: (event: StatelyInspectionEvent) => void,
): () => void {
  const root = connection.actor;
  const base = (actor: ActorRefLike): StatelyBase => ({
    sessionId: sessionOf(actor),
    rootId: root.sessionId,
    createdAt: String(Date.now()),
    id: null,
    _version: STATELY_PROTOCOL_VERSION,
  });
  const announced = new Set<string>();
  const announce = (actor: AnyActorRef): void => {
    if (announced.has(actor.sessionId)) return;
    announced.add(actor.sessionId);
    send({
      ...base(actor),
      type: '@xstate.actor',
      name: actor.id,
      definition: definitionOf(actor),
      parentId: actor._parent?.sessionId,
      snapshot: plainSnapshot(actor.getSnapshot()),
    });
    for (const child of Object.values(
      (actor.getSnapshot() as { children?: Record<string, AnyActorRef> }).children ?? {},
    )) {
      if (child) announce(child);
    }
  };
  // An actor's events may come before the microtask that announces it: announce it first then.
  const announceFirst = (actor: ActorRefLike): void => {
    const ref = actor as AnyActorRef;
    if (!announced.has(ref.sessionId) && ref.getSnapshot() !== undefined) announce(ref);
  };
  announce(root);
  const subscription = root.system.inspect((inspection: InspectionEvent) => {
    if (inspection.type === '@xstate.actor') {
      // The root was announced above; children come as they are spawned. xstate reports a new actor from
      // its constructor, before its first snapshot exists: announce it once the spawning step is done.
      const actor = inspection.actorRef as AnyActorRef;
      queueMicrotask(() => announce(actor));
    } else if (inspection.type === '@xstate.event') {
      announceFirst(inspection.actorRef);
      send({
        ...base(inspection.actorRef),
        type: '@xstate.event',
        event: inspection.event,
        sourceId: inspection.sourceRef ? sessionOf(inspection.sourceRef) : undefined,
      });
    } else if (inspection.type === '@xstate.snapshot') {
      announceFirst(inspection.actorRef);
      send({
        ...base(inspection.actorRef),
        type: '@xstate.snapshot',
        event: inspection.event,
        snapshot: plainSnapshot(inspection.snapshot),
      });
    }
  });
  return () => subscription.unsubscribe();
}

function sessionOf(actor: ActorRefLike): string {
  return (actor as { sessionId?: string }).sessionId ?? '';
}

/** A machine's config as JSON, functions named (what Stately's inspector draws); undefined for other logic. */
function definitionOf(actor: AnyActorRef): string | undefined {
  const config = (actor as unknown as { logic?: { config?: unknown } }).logic?.config;
  if (config === undefined) return undefined;
  return JSON.stringify(config, (_key, value: unknown) =>
    typeof value === 'function' ? { type: (value as { name?: string }).name || 'anonymous' } : value,
  );
}

function plainSnapshot(snapshot: unknown): unknown {
  const withJson = (snapshot ?? {}) as { toJSON?: () => unknown };
  return typeof withJson.toJSON === 'function' ? withJson.toJSON() : snapshot;
}
