import { expect } from 'chai';
import { createActor } from 'xstate';
import { partitionMachine, toPartitionActorId } from '../../lib/connection/partition-machine';

function startPartition(committedOffset?: string) {
  const actor = createActor(partitionMachine, {
    input: { topic: 'orders', partition: 3, ...(committedOffset === undefined ? {} : { committedOffset }) },
  });
  actor.start();
  return actor;
}

describe('partitionMachine', () => {
  it('starts idle with nothing in flight, keeping a committed offset it is given', () => {
    const actor = startPartition('40');
    expect(actor.getSnapshot().value).to.equal('idle');
    expect(actor.getSnapshot().context).to.include({
      topic: 'orders',
      partition: 3,
      inFlight: 0,
      committedOffset: '40',
    });
  });

  it('is processing while a batch runs, with its records in flight since the batch arrived', () => {
    const actor = startPartition();
    actor.send({ type: 'batch.started', records: 5, highWatermark: '120', at: 1_000 });
    expect(actor.getSnapshot().value).to.equal('processing');
    expect(actor.getSnapshot().context).to.include({
      inFlight: 5,
      highWatermark: '120',
      oldestInFlightSince: 1_000,
    });
  });

  it('goes back to idle when the batch finishes, with its finished prefix and a batch counted', () => {
    const actor = startPartition();
    actor.send({ type: 'batch.started', records: 5, highWatermark: '120', at: 1_000 });
    actor.send({ type: 'batch.finished', finishedOffset: '105' });
    const { value, context } = actor.getSnapshot();
    expect(value).to.equal('idle');
    expect(context).to.include({ inFlight: 0, finishedOffset: '105', batches: 1 });
    expect(context.oldestInFlightSince).to.equal(undefined);
  });

  it('keeps the error of a failed batch and is idle again', () => {
    const actor = startPartition();
    actor.send({ type: 'batch.started', records: 1, highWatermark: '1', at: 0 });
    actor.send({ type: 'batch.failed', error: { name: 'KafkaJSError', message: 'rebalance' } });
    expect(actor.getSnapshot().value).to.equal('idle');
    expect(actor.getSnapshot().context.lastError).to.deep.equal({
      name: 'KafkaJSError',
      message: 'rebalance',
    });
  });

  it('takes commits in any state', () => {
    const actor = startPartition();
    actor.send({ type: 'offsets.committed', offset: '7' });
    actor.send({ type: 'batch.started', records: 1, highWatermark: '9', at: 0 });
    actor.send({ type: 'offsets.committed', offset: '8' });
    expect(actor.getSnapshot().context.committedOffset).to.equal('8');
  });

  context('in a rebalance', () => {
    it('is revoked at once when idle', () => {
      const actor = startPartition();
      actor.send({ type: 'partition.revoking' });
      expect(actor.getSnapshot().value).to.equal('revoked');
      expect(actor.getSnapshot().status).to.equal('done');
    });

    it('is revoking while its batch finishes, then revoked', () => {
      const actor = startPartition();
      actor.send({ type: 'batch.started', records: 2, highWatermark: '2', at: 0 });
      actor.send({ type: 'partition.revoking' });
      expect(actor.getSnapshot().value).to.equal('revoking');
      actor.send({ type: 'batch.finished', finishedOffset: '2' });
      expect(actor.getSnapshot().value).to.equal('revoked');
      expect(actor.getSnapshot().context.finishedOffset).to.equal('2');
    });
  });

  it('names its actor after the topic and partition', () => {
    expect(toPartitionActorId('orders.placed', 11)).to.equal('partition:orders.placed/11');
  });
});
