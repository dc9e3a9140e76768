import { expect } from 'chai';
import { createActor, setup, type ActorRefFrom } from 'xstate';
import type { PartitionReleasedEvent } from '../../lib/connection/connection-events';
import { partitionActorId, partitionMachine } from '../../lib/connection/partition-machine';

function start() {
  const actor = createActor(partitionMachine, { input: { topic: 'orders', partition: 3 } });
  actor.start();
  return actor;
}

const sampled = (inFlight: number, at = 5_000, inFlightSince?: number) =>
  ({
    type: 'partition.sampled',
    progress: {
      inFlight,
      batches: 1,
      finishedOffset: '41',
      ...(inFlightSince === undefined ? {} : { inFlightSince }),
    },
    at,
  }) as const;

describe('partitionMachine', () => {
  it('starts idle with its topic and partition', () => {
    const actor = start();
    expect(actor.getSnapshot().value).to.equal('idle');
    expect(actor.getSnapshot().context).to.deep.include({ topic: 'orders', partition: 3, inFlight: 0 });
  });

  it('is processing while a sample shows records in flight, with the oldest one’s age, and idle after', () => {
    const actor = start();
    actor.send(sampled(2, 5_000, 4_200));
    expect(actor.getSnapshot().value).to.equal('processing');
    expect(actor.getSnapshot().context).to.deep.include({
      inFlight: 2,
      oldestInFlightMs: 800,
      sampledAt: 5_000,
    });
    actor.send(sampled(0, 6_000));
    expect(actor.getSnapshot().value).to.equal('idle');
    expect(actor.getSnapshot().context.oldestInFlightMs).to.equal(undefined);
    expect(actor.getSnapshot().context.finishedOffset).to.equal('41');
  });

  it('goes revoking on a rebalance, back to idle when the join keeps it, and ends revoked when it does not', () => {
    const actor = start();
    actor.send(sampled(1));
    actor.send({ type: 'partition.revoking' });
    expect(actor.getSnapshot().value).to.equal('revoking');
    actor.send(sampled(0));
    expect(actor.getSnapshot().value).to.equal('revoking');
    actor.send({ type: 'partition.kept' });
    expect(actor.getSnapshot().value).to.equal('idle');
    actor.send({ type: 'partition.revoked' });
    expect(actor.getSnapshot().value).to.equal('revoked');
    expect(actor.getSnapshot().status).to.equal('done');
  });

  it('goes back to processing when the join keeps it with a record still in flight (a handler hung through it)', () => {
    const actor = start();
    actor.send(sampled(1, 5_000, 1_000));
    actor.send({ type: 'partition.revoking' });
    actor.send({ type: 'partition.kept' });
    expect(actor.getSnapshot().value).to.equal('processing');
    expect(actor.getSnapshot().context).to.deep.include({ inFlight: 1, oldestInFlightMs: 4_000 });
  });

  describe('released under KIP-848 (the member keeps its other partitions)', () => {
    /** The actor under a parent that records what it is told, as the connection actor hears it. */
    function startUnderParent() {
      const told: PartitionReleasedEvent[] = [];
      const parent = createActor(
        setup({
          types: { events: {} as PartitionReleasedEvent },
          actors: { partition: partitionMachine },
        }).createMachine({
          invoke: { id: 'partition', src: 'partition', input: { topic: 'orders', partition: 3 } },
          on: { 'partition.released': { actions: ({ event }) => void told.push(event) } },
        }),
      );
      parent.start();
      const actor = parent.getSnapshot().children.partition as ActorRefFrom<typeof partitionMachine>;
      return { actor, told };
    }

    it('goes releasing, waits for a sample with nothing in flight, then ends released and tells its parent', () => {
      const { actor, told } = startUnderParent();
      actor.send(sampled(2));
      actor.send({ type: 'partition.releasing' });
      expect(actor.getSnapshot().value).to.equal('releasing');
      actor.send(sampled(1));
      expect(actor.getSnapshot().value).to.equal('releasing');
      expect(told).to.deep.equal([]);
      actor.send(sampled(0));
      expect(actor.getSnapshot().value).to.equal('released');
      expect(actor.getSnapshot().status).to.equal('done');
      expect(told).to.deep.equal([{ type: 'partition.released', topic: 'orders', partition: 3 }]);
    });

    it('is released at once when nothing of it is in flight', () => {
      const { actor } = startUnderParent();
      actor.send({ type: 'partition.releasing' });
      expect(actor.getSnapshot().value).to.equal('released');
    });

    it('forgets an operator’s pause when released from paused', () => {
      const { actor } = startUnderParent();
      actor.send({ type: 'operator.pause', by: 'ops@example.com', at: 7_000 });
      actor.send({ type: 'partition.releasing' });
      expect(actor.getSnapshot().value).to.equal('released');
      expect(actor.getSnapshot().context.pausedBy).to.equal(undefined);
    });
  });

  describe('an operator’s pause', () => {
    const pause = { type: 'operator.pause', by: 'ops@example.com', at: 7_000 } as const;
    const resume = { type: 'operator.resume', by: 'ops@example.com', at: 9_000 } as const;

    it('holds the partition paused, with who paused it and when, whatever the samples say', () => {
      const actor = start();
      actor.send(sampled(2, 5_000, 4_200));
      actor.send(pause);
      expect(actor.getSnapshot().value).to.equal('paused');
      expect(actor.getSnapshot().context).to.deep.include({ pausedBy: 'ops@example.com', pausedAt: 7_000 });
      actor.send(sampled(0, 8_000));
      expect(actor.getSnapshot().value).to.equal('paused');
      expect(actor.getSnapshot().context.inFlight).to.equal(0);
    });

    it('resumes to idle, or to processing while records are in flight, and forgets the pause', () => {
      const idle = start();
      idle.send(pause);
      idle.send(resume);
      expect(idle.getSnapshot().value).to.equal('idle');
      expect(idle.getSnapshot().context.pausedBy).to.equal(undefined);

      const busy = start();
      busy.send(pause);
      busy.send(sampled(3, 8_000, 7_500));
      busy.send(resume);
      expect(busy.getSnapshot().value).to.equal('processing');
    });

    it('is kept paused by a rebalance that keeps the partition here', () => {
      const actor = start();
      actor.send(pause);
      actor.send({ type: 'partition.revoking' });
      expect(actor.getSnapshot().value).to.equal('revoking');
      actor.send({ type: 'partition.kept' });
      expect(actor.getSnapshot().value).to.equal('paused');
    });

    it('takes a pause only when idle or processing, and a resume only when paused', () => {
      const actor = start();
      expect(actor.getSnapshot().can(resume)).to.equal(false);
      expect(actor.getSnapshot().can(pause)).to.equal(true);
      actor.send(pause);
      expect(actor.getSnapshot().can(pause)).to.equal(false);
      actor.send({ type: 'partition.revoking' });
      expect(actor.getSnapshot().can(pause)).to.equal(false);
      expect(actor.getSnapshot().can(resume)).to.equal(false);
    });
  });

  it('names its actor partition:<topic>/<partition>', () => {
    expect(partitionActorId('orders', 3)).to.equal('partition:orders/3');
  });
});
