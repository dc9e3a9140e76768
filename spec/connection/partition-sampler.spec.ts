import { expect } from 'chai';
import { createActor } from 'xstate';
import {
  partitionActorId,
  partitionMachine,
  type PartitionActor,
} from '../../lib/connection/partition-machine';
import { PartitionSampler } from '../../lib/connection/partition-sampler';
import { PartitionProgressBook } from '../../lib/offsets/partition-progress';

describe('PartitionSampler', () => {
  function partitionActor(topic: string, partition: number): PartitionActor {
    const actor = createActor(partitionMachine, {
      id: partitionActorId(topic, partition),
      input: { topic, partition },
    });
    actor.start();
    return actor as unknown as PartitionActor;
  }

  it('tells a partition actor of its progress only when it changed', () => {
    const progress = new PartitionProgressBook(() => 1_000);
    const actor = partitionActor('orders', 0);
    const sampler = new PartitionSampler(progress, () => [actor]);
    let told = 0;
    actor.subscribe(() => (told += 1));
    progress.batchStarted('orders', 0, 2, '2');
    sampler.sample(1_500);
    expect(actor.getSnapshot().value).to.equal('processing');
    expect(actor.getSnapshot().context).to.deep.include({ inFlight: 2, oldestInFlightMs: 500 });
    sampler.sample(1_600);
    expect(told).to.equal(1);
    progress.recordsFinished('orders', 0, 2, '1');
    sampler.sample(1_700);
    expect(actor.getSnapshot().value).to.equal('idle');
    expect(told).to.equal(2);
  });

  it('tells a new actor under the same id (its partition left and came back) even if nothing moved', () => {
    const progress = new PartitionProgressBook(() => 1_000);
    let current = partitionActor('orders', 0);
    const sampler = new PartitionSampler(progress, () => [current]);
    progress.batchStarted('orders', 0, 1, '7');
    sampler.sample(1_500);
    current = partitionActor('orders', 0);
    sampler.sample(1_600);
    expect(current.getSnapshot().value).to.equal('processing');
    expect(current.getSnapshot().context).to.deep.include({ inFlight: 1 });
  });

  it('forgets the figures of a partition whose actor is gone (revoked)', () => {
    const progress = new PartitionProgressBook();
    const actors = [partitionActor('orders', 0), partitionActor('orders', 1)];
    let current = actors;
    const sampler = new PartitionSampler(progress, () => current);
    progress.committed('orders', 1, '9');
    sampler.sample();
    current = [actors[0]];
    sampler.sample();
    expect(progress.versionOf('orders', 1)).to.equal(0);
    expect(progress.sample('orders', 1)).not.to.have.property('committedOffset');
  });
});
