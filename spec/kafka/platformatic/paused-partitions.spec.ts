import { expect } from 'chai';
import { PausedPartitions, resumePosition } from '../../../lib/kafka/platformatic/paused-partitions';

describe('PausedPartitions', () => {
  it('remembers the first offset dropped during a pause, and hands it back at the resume', () => {
    const paused = new PausedPartitions();
    paused.pause('t:0');
    paused.dropped('t:0', 7n);
    paused.dropped('t:0', 8n);
    expect(paused.has('t:0')).to.equal(true);
    expect(paused.resume('t:0')).to.equal(7n);
    expect(paused.has('t:0')).to.equal(false);
  });

  it('hands back nothing for a pause that dropped nothing', () => {
    const paused = new PausedPartitions();
    paused.pause('t:0');
    expect(paused.resume('t:0')).to.equal(undefined);
  });

  it('does not count a dropped record at or below the last resolved one: a second read of a handled record', () => {
    const paused = new PausedPartitions();
    paused.pause('t:0');
    paused.dropped('t:0', 0n, 2n);
    paused.dropped('t:0', 2n, 2n);
    expect(paused.resume('t:0')).to.equal(undefined);
    paused.pause('t:0');
    paused.dropped('t:0', 1n, 2n);
    paused.dropped('t:0', 3n, 2n);
    expect(paused.resume('t:0')).to.equal(3n);
  });

  it('keeps the pause across a join but forgets what it dropped (the stream starts at the committed offset)', () => {
    const paused = new PausedPartitions();
    paused.pause('t:0');
    paused.dropped('t:0', 7n);
    paused.forgetDropped();
    expect(paused.has('t:0')).to.equal(true);
    paused.dropped('t:0', 5n);
    expect(paused.resume('t:0')).to.equal(5n);
  });

  it('keeps the lowest dropped offset when a seek made the stream read lower again', () => {
    const paused = new PausedPartitions();
    paused.pause('t:0');
    paused.dropped('t:0', 9n);
    paused.dropped('t:0', 4n);
    expect(paused.resume('t:0')).to.equal(4n);
  });
});

describe('resumePosition', () => {
  const none = {
    lastResolved: undefined,
    firstHandedOver: undefined,
    firstDropped: undefined,
    pendingSeek: undefined,
  };

  it('reads from after the last resolved offset when that is below the first dropped record', () => {
    expect(resumePosition({ ...none, lastResolved: 4n, firstHandedOver: 0n, firstDropped: 9n })).to.equal(5n);
  });

  it('reads from the first record handed over when none was resolved since the join', () => {
    expect(resumePosition({ ...none, firstHandedOver: 3n, firstDropped: 9n })).to.equal(3n);
  });

  it('reads from the first dropped record when everything handed over was resolved', () => {
    expect(resumePosition({ ...none, lastResolved: 8n, firstHandedOver: 0n, firstDropped: 9n })).to.equal(9n);
  });

  it('reads no later than a seek still waiting (a batch given back unresolved)', () => {
    expect(resumePosition({ ...none, lastResolved: 8n, firstDropped: 12n, pendingSeek: 6n })).to.equal(6n);
  });

  it('has no position when nothing was handed over, dropped or sought', () => {
    expect(resumePosition(none)).to.equal(undefined);
  });
});
