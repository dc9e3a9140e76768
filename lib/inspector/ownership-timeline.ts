/**
 * The ownership timeline: for each partition of each group, who held it over the recorded history, and the
 * spans where it processed nothing and why (a rebalance revoking it or leaving it unowned, an operator's
 * pause, a record in flight for longer than the stuck threshold). Read from the inspector's entries alone,
 * so it works live, on a fleet topic and on a replayed recording.
 *
 * The page runs this very function: its source text is put into the page's script (inspector-page.ts), so
 * what the specs check is what the page draws. It must therefore stay self-contained: no imports at run
 * time, no closures over module values, nothing TypeScript compiles into helpers.
 */
import type { InspectorEntry } from './inspector-entry';

/** What a span of a lane shows. */
export type OwnershipCause = 'working' | 'rebalance' | 'paused' | 'stuck' | 'unowned';

/** One stretch of time of a partition: who held it (none while unowned) and what it was doing. */
export interface OwnershipSpan {
  /** Epoch milliseconds. */
  readonly from: number;
  readonly to: number;
  /** `member · source`; absent for an unowned span. */
  readonly owner?: string;
  /** The partition actor's state (`idle`, `processing`, `paused`, `revoking`, `releasing`); absent while unowned. */
  readonly state?: string;
  readonly cause: OwnershipCause;
}

/** One partition of one group over time. */
export interface OwnershipLane {
  /** `<group>|<topic>/<partition>`. */
  readonly id: string;
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly spans: OwnershipSpan[];
}

export interface OwnershipTimeline {
  /** The first entry's time, and `now` (or the last entry's). */
  readonly from: number;
  readonly to: number;
  /** Every owner seen, in order of appearance: the page gives each a colour. */
  readonly owners: string[];
  readonly lanes: OwnershipLane[];
}

/**
 * The timeline of `entries` (in history order) up to `now`. A record in flight for longer than
 * `stuckAfterMs` marks its span `stuck` from the moment it crossed the threshold.
 */
export function buildOwnershipTimeline(
  entries: readonly InspectorEntry[],
  now: number,
  stuckAfterMs: number,
): OwnershipTimeline {
  const sources = new Map<string, { group: string; state: string; held: Map<string, Held> }>();
  const lanes = new Map<string, { group: string; topic: string; partition: number; spans: MutableSpan[] }>();
  const open = new Map<string, MutableSpan>();
  const owners: string[] = [];
  const first = entries.length > 0 ? entries[0].at : now;

  interface Held {
    readonly topic: string;
    readonly partition: number;
    readonly state: string;
    readonly cause: OwnershipCause;
  }
  interface MutableSpan {
    from: number;
    to: number;
    owner?: string;
    state?: string;
    cause: OwnershipCause;
  }

  const laneOf = (group: string, topic: string, partition: number) => {
    const id = group + '|' + topic + '/' + partition;
    let lane = lanes.get(id);
    if (!lane) {
      lane = { group, topic, partition, spans: [] };
      lanes.set(id, lane);
    }
    return { id, lane };
  };

  const causeOf = (state: string, oldestInFlightMs: number | undefined): OwnershipCause => {
    if (state === 'revoking' || state === 'releasing') return 'rebalance';
    if (state === 'paused') return 'paused';
    if (oldestInFlightMs !== undefined && oldestInFlightMs > stuckAfterMs) return 'stuck';
    return 'working';
  };

  /** Moves one source's holdings to `next` at `at`: spans end and begin where what it holds changed. */
  const move = (key: string, owner: string, group: string, next: Map<string, Held>, at: number) => {
    const source = sources.get(key);
    const before = source ? source.held : new Map<string, Held>();
    for (const [laneId, held] of before) {
      const after = next.get(laneId);
      if (after && after.state === held.state && after.cause === held.cause) continue;
      const span = open.get(laneId + '\u0000' + owner);
      if (span) {
        span.to = at;
        open.delete(laneId + '\u0000' + owner);
      }
    }
    for (const [laneId, held] of next) {
      const was = before.get(laneId);
      if (was && was.state === held.state && was.cause === held.cause) continue;
      const { lane } = laneOf(group, held.topic, held.partition);
      const span: MutableSpan = { from: at, to: at, owner, state: held.state, cause: held.cause };
      lane.spans.push(span);
      open.set(laneId + '\u0000' + owner, span);
      if (owners.indexOf(owner) < 0) owners.push(owner);
    }
  };

  for (const entry of entries) {
    if (
      entry.kind !== 'source' &&
      entry.kind !== 'edge' &&
      entry.kind !== 'partitions' &&
      entry.kind !== 'partition-edge'
    )
      continue;
    const key = entry.member + '\u0000' + entry.source;
    const owner = entry.member + ' · ' + entry.source;
    const current = sources.get(key);
    const group = entry.kind === 'source' ? (entry.groupId ?? '') : current ? current.group : '';
    if (entry.kind === 'source' && !entry.groupId) continue;
    if (entry.kind !== 'source' && !current) continue;
    let state = current ? current.state : 'idle';
    if (entry.kind === 'source') state = entry.state;
    if (entry.kind === 'edge') state = entry.to;
    const top = state.split('.')[0];
    const partitions =
      entry.kind === 'partitions' || entry.kind === 'partition-edge'
        ? entry.partitions
        : entry.kind === 'edge'
          ? entry.partitions
          : undefined;
    let next: Map<string, Held>;
    if (top === 'stopped' || top === 'failed' || top === 'idle') {
      next = new Map();
    } else if (partitions) {
      next = new Map();
      for (const p of partitions) {
        if (p.state === 'revoked' || p.state === 'released') continue;
        next.set(group + '|' + p.topic + '/' + p.partition, {
          topic: p.topic,
          partition: p.partition,
          state: p.state,
          cause: causeOf(p.state, p.oldestInFlightMs),
        });
      }
    } else {
      next = current ? current.held : new Map();
    }
    move(key, owner, group, next, entry.at);
    sources.set(key, { group, state, held: next });
  }

  for (const span of open.values()) span.to = now;
  const laneList: OwnershipLane[] = [];
  for (const [id, lane] of lanes) {
    const spans = lane.spans.slice().sort((a, b) => a.from - b.from);
    // Where no owner held the partition (between a revoke and the next assignment), an unowned span.
    const filled: OwnershipSpan[] = [];
    let reached = spans.length > 0 ? spans[0].from : now;
    for (const span of spans) {
      if (span.from > reached) filled.push({ from: reached, to: span.from, cause: 'unowned' });
      filled.push(span);
      if (span.to > reached) reached = span.to;
    }
    laneList.push({ id, group: lane.group, topic: lane.topic, partition: lane.partition, spans: filled });
  }
  laneList.sort((a, b) =>
    a.group === b.group
      ? a.topic === b.topic
        ? a.partition - b.partition
        : a.topic < b.topic
          ? -1
          : 1
      : a.group < b.group
        ? -1
        : 1,
  );
  return { from: first, to: now, owners, lanes: laneList };
}
