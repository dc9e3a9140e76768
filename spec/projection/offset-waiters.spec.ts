import { expect } from 'chai';
import { RxKafkaError } from '../../lib/errors';
import { OffsetWaiters, toTargets } from '../../lib/projection/offset-waiters';

const timeout = () => new RxKafkaError('RXK_PROJECTION_TIMEOUT', 'late');

describe('toTargets()', () => {
  it("takes kafkajs's RecordMetadata (baseOffset) and { partition, offset } entries, keeping the highest per partition", () => {
    const targets = toTargets(
      [
        { topicName: 'orders', partition: 0, baseOffset: '7' },
        { partition: 0, offset: 3 },
        { partition: 2, offset: '11', topic: 'orders' },
      ],
      'orders',
    );
    expect([...targets]).to.deep.equal([
      [0, 7n],
      [2, 11n],
    ]);
  });

  it('rejects offsets of another topic, and entries without a whole offset, with RXK_INVALID_OPTIONS', () => {
    expect(() => toTargets([{ topicName: 'payments', partition: 0, baseOffset: '1' }], 'orders'))
      .to.throw(RxKafkaError, 'topic payments')
      .with.property('code', 'RXK_INVALID_OPTIONS');
    expect(() => toTargets([{ partition: 0, offset: -1 }], 'orders')).to.throw(RxKafkaError, 'whole numbers');
    expect(() => toTargets({} as never, 'orders')).to.throw(RxKafkaError, 'a list');
  });
});

describe('OffsetWaiters', () => {
  it('resolves at once when the offsets are already applied', async () => {
    const waiters = new OffsetWaiters(new Map([[0, 5n]]));
    await waiters.wait(new Map([[0, 4n]]), 0, timeout);
  });

  it('resolves once every partition it waits on has passed its offset', async () => {
    const positions = new Map([
      [0, 0n],
      [1, 0n],
    ]);
    const waiters = new OffsetWaiters(positions);
    let resolved = false;
    const waiting = waiters
      .wait(
        new Map([
          [0, 2n],
          [1, 0n],
        ]),
        0,
        timeout,
      )
      .then(() => (resolved = true));
    positions.set(0, 3n);
    waiters.applied(0);
    await Promise.resolve();
    expect(resolved).to.equal(false);
    positions.set(1, 1n);
    waiters.applied(1);
    await waiting;
    expect(resolved).to.equal(true);
  });

  it('rejects every waiter with the error it is given', async () => {
    const waiters = new OffsetWaiters(new Map());
    const waiting = waiters.wait(new Map([[0, 1n]]), 0, timeout).catch((error: unknown) => error);
    const closed = new RxKafkaError('RXK_PROJECTION_CLOSED', 'closed');
    waiters.rejectAll(closed);
    expect(await waiting).to.equal(closed);
  });

  it('rejects a waiter with the timeout error once its time is up', async () => {
    const waiters = new OffsetWaiters(new Map());
    const error = await waiters.wait(new Map([[0, 1n]]), 5, timeout).catch((e: unknown) => e);
    expect(error).to.have.property('code', 'RXK_PROJECTION_TIMEOUT');
  });
});
