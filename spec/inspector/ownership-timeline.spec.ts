import { expect } from 'chai';
import type { InspectorEntry, PartitionsEntry } from '../../lib/inspector/inspector-entry';
import { buildOwnershipTimeline } from '../../lib/inspector/ownership-timeline';

type Partition = PartitionsEntry['partitions'][number];

let seq = 0;
const facts = { assignment: {} };

function source(member: string, at: number, state = 'assigned'): InspectorEntry {
  return {
    kind: 'source',
    seq: seq++,
    at,
    member,
    source: 'server',
    role: 'server',
    state,
    clientId: `${member}-client`,
    groupId: 'orders',
    facts,
  };
}

function partition(id: number, state = 'idle', extra: Partial<Partition> = {}): Partition {
  return { id: `partition:t/${id}`, state, topic: 't', partition: id, inFlight: 0, ...extra };
}

function holds(member: string, at: number, partitions: Partition[]): InspectorEntry {
  return { kind: 'partitions', seq: seq++, at, member, source: 'server', partitions };
}

function edge(
  member: string,
  at: number,
  from: string,
  to: string,
  partitions?: Partition[],
): InspectorEntry {
  return {
    kind: 'edge',
    seq: seq++,
    at,
    member,
    source: 'server',
    from,
    event: 'kafka.rebalance.started',
    to,
    facts,
    ...(partitions ? { partitions } : {}),
  };
}

/** A lane's spans as `[from, to, owner or '-', cause]`. */
function spansOf(entries: InspectorEntry[], now: number, laneId = 'orders|t/0', stuckAfterMs = 30_000) {
  const lane = buildOwnershipTimeline(entries, now, stuckAfterMs).lanes.find((each) => each.id === laneId);
  return lane?.spans.map((span) => [span.from, span.to, span.owner ?? '-', span.cause]);
}

describe('buildOwnershipTimeline()', () => {
  it('gives a partition one span per owner, ending when a rebalance revokes it, then unowned until the next join', () => {
    const entries = [
      source('a', 0),
      holds('a', 100, [partition(0), partition(1)]),
      edge('a', 1_000, 'assigned', 'rebalancing', [partition(0, 'revoking'), partition(1, 'revoking')]),
      edge('a', 1_400, 'rebalancing', 'assigned', []),
      source('b', 1_500),
      holds('b', 2_000, [partition(0)]),
    ];
    expect(spansOf(entries, 5_000)).to.deep.equal([
      [100, 1_000, 'a · server', 'working'],
      [1_000, 1_400, 'a · server', 'rebalance'],
      [1_400, 2_000, '-', 'unowned'],
      [2_000, 5_000, 'b · server', 'working'],
    ]);
    const timeline = buildOwnershipTimeline(entries, 5_000, 30_000);
    expect(timeline.owners).to.deep.equal(['a · server', 'b · server']);
    expect(timeline.lanes.map((lane) => lane.id)).to.deep.equal(['orders|t/0', 'orders|t/1']);
    expect(timeline).to.include({ from: 0, to: 5_000 });
  });

  it('marks an operator’s pause, and a record in flight past the stuck threshold from when it crossed it', () => {
    const entries = [
      source('a', 0),
      holds('a', 0, [partition(0)]),
      holds('a', 1_000, [partition(0, 'processing', { inFlight: 1, oldestInFlightMs: 500 })]),
      holds('a', 40_000, [partition(0, 'processing', { inFlight: 1, oldestInFlightMs: 39_500 })]),
      holds('a', 50_000, [partition(0)]),
      holds('a', 60_000, [partition(0, 'paused')]),
      holds('a', 70_000, [partition(0)]),
    ];
    expect(spansOf(entries, 80_000)).to.deep.equal([
      [0, 1_000, 'a · server', 'working'],
      [1_000, 40_000, 'a · server', 'working'],
      [40_000, 50_000, 'a · server', 'stuck'],
      [50_000, 60_000, 'a · server', 'working'],
      [60_000, 70_000, 'a · server', 'paused'],
      [70_000, 80_000, 'a · server', 'working'],
    ]);
  });

  it('ends every span of a source that stops or fails, and keeps sources without a group out', () => {
    const entries: InspectorEntry[] = [
      source('a', 0),
      holds('a', 0, [partition(0)]),
      edge('a', 3_000, 'assigned', 'stopped'),
      { ...source('p', 0), groupId: undefined } as InspectorEntry,
    ];
    expect(spansOf(entries, 9_000)).to.deep.equal([[0, 3_000, 'a · server', 'working']]);
    expect(buildOwnershipTimeline(entries, 9_000, 30_000).owners).to.deep.equal(['a · server']);
  });

  it('shows two owners of one partition at once where two members held it (a rebalance seen from both)', () => {
    const entries = [
      source('a', 0),
      holds('a', 0, [partition(0)]),
      source('b', 10),
      holds('b', 500, [partition(0)]),
    ];
    expect(spansOf(entries, 1_000)).to.deep.equal([
      [0, 1_000, 'a · server', 'working'],
      [500, 1_000, 'b · server', 'working'],
    ]);
  });

  it('is self-contained, so the page can run its source text', () => {
    const text = buildOwnershipTimeline.toString();
    const rebuilt = new Function(`return (${text});`)() as typeof buildOwnershipTimeline;
    const entries = [source('a', 0), holds('a', 0, [partition(0)]), edge('a', 900, 'assigned', 'stopped')];
    expect(rebuilt(entries, 1_000, 30_000)).to.deep.equal(buildOwnershipTimeline(entries, 1_000, 30_000));
  });
});
