import { expect } from 'chai';
import { ActorHistory } from '../../lib/inspector/actor-history';
import type { NewInspectorEntry } from '../../lib/inspector/inspector-entry';

const edge = (to: string, at = 1): NewInspectorEntry => ({
  kind: 'edge',
  at,
  member: 'host:1',
  source: 'server',
  from: 'idle',
  event: 'kafka.connect',
  to,
  facts: { assignment: {} },
});

describe('ActorHistory', () => {
  it('numbers entries in order and hands them to listeners as they come', () => {
    const history = new ActorHistory(10);
    const heard: number[] = [];
    const stop = history.listen((entry) => heard.push(entry.seq));
    history.add(edge('connecting'));
    history.add(edge('assigned'));
    stop();
    history.add(edge('stopped'));
    expect(heard).to.deep.equal([0, 1]);
    expect(history.entries().map((entry) => entry.seq)).to.deep.equal([0, 1, 2]);
  });

  it('keeps only the newest entries once full, oldest first, and still counts all', () => {
    const history = new ActorHistory(3);
    for (let i = 0; i < 7; i++) history.add(edge(`s${i}`));
    expect(history.entries().map((entry) => (entry.kind === 'edge' ? entry.to : ''))).to.deep.equal([
      's4',
      's5',
      's6',
    ]);
    expect(history.total).to.equal(7);
  });

  it('keeps a replayed entry’s own time', () => {
    const history = new ActorHistory(3);
    history.add({ ...edge('assigned', 1_700_000_000_000), seq: 41 } as never);
    expect(history.entries()[0]).to.deep.include({ seq: 0, at: 1_700_000_000_000 });
  });

  it('refuses a capacity below one', () => {
    expect(() => new ActorHistory(0)).to.throw(RangeError, 'at least 1');
  });
});
