import { expect } from 'chai';
import { createActor } from 'xstate';
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

  it('names its actor partition:<topic>/<partition>', () => {
    expect(partitionActorId('orders', 3)).to.equal('partition:orders/3');
  });
});
