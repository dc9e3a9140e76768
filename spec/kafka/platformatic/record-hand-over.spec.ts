import { expect } from 'chai';
import type { ConsumedMessage } from '../../../lib/kafka/platformatic/platformatic-records';
import { RecordHandOver } from '../../../lib/kafka/platformatic/record-hand-over';
import { ResolvedOffsets } from '../../../lib/kafka/platformatic/resolved-offsets';

function message(offset: number, partition = 0): ConsumedMessage {
  return { topic: 't', partition, offset: BigInt(offset), timestamp: 0n, headers: new Map() };
}

function handedOver(handOver: RecordHandOver, offsets: number[], partition = 0): string[] {
  return handOver
    .selectDeliverable(offsets.map((offset) => message(offset, partition)))
    .flatMap((batch) => batch.messages.map(({ offset }) => `${batch.partition}:${offset}`));
}

/** A member holding t:0 and t:1, whose stream reads from `positions`. */
function createReading(incremental = false): {
  handOver: RecordHandOver;
  offsets: ResolvedOffsets;
  positions: Map<string, bigint>;
} {
  const offsets = new ResolvedOffsets();
  const handOver = new RecordHandOver({ offsets, incremental });
  const positions = new Map<string, bigint>();
  handOver.joined({ t: [0, 1] });
  handOver.streamStarted(positions);
  return { handOver, offsets, positions };
}

describe('RecordHandOver', () => {
  describe('.selectDeliverable()', () => {
    it('hands over the records of the partitions the member holds, and no others', () => {
      const { handOver } = createReading();
      expect(handedOver(handOver, [0, 1])).to.deep.equal(['0:0', '0:1']);
      expect(handedOver(handOver, [0], 2)).to.deep.equal([]);
    });

    it('groups them into one batch per partition, in the order the partitions first appear', () => {
      const { handOver } = createReading();
      const batches = handOver.selectDeliverable([message(0, 1), message(0), message(1, 1), message(0, 2)]);
      expect(
        batches.map(({ partition, messages }) => [partition, messages.map((m) => m.offset)]),
      ).to.deep.equal([
        [1, [0n, 1n]],
        [0, [0n]],
      ]);
    });

    it('hands over nothing after an eager rebalance until the next join', () => {
      const { handOver } = createReading();
      handOver.rebalancing();
      expect(handedOver(handOver, [0])).to.deep.equal([]);
    });
  });

  describe('.moveTo()', () => {
    it('sets the stream’s position, drops what the old one still brings, and counts the seek', () => {
      const { handOver, positions } = createReading();
      handedOver(handOver, [0, 1]);
      handOver.moveTo('t', 0, 5n);
      expect(positions.get('t:0')).to.equal(5n);
      expect(handedOver(handOver, [2, 3, 5, 6])).to.deep.equal(['0:5', '0:6']);
      expect(handOver.seeksOf('t', 0)).to.equal(1);
      expect(handOver.seeksOf('t', 1)).to.equal(0);
    });

    it('sets the position again when a rewind meets the old position’s records', () => {
      const { handOver, positions } = createReading();
      handedOver(handOver, [0, 1, 2]);
      handOver.moveTo('t', 0, 1n);
      positions.set('t:0', 4n);
      expect(handedOver(handOver, [3])).to.deep.equal([]);
      expect(positions.get('t:0')).to.equal(1n);
      expect(handedOver(handOver, [1, 2, 3])).to.deep.equal(['0:1', '0:2', '0:3']);
    });

    it('keeps a seek made before the stream exists for the stream, which starts there', () => {
      const handOver = new RecordHandOver({ offsets: new ResolvedOffsets(), incremental: false });
      handOver.moveTo('t', 0, 7n);
      const positions = new Map([['t:0', 0n]]);
      handOver.streamStarted(positions);
      expect(positions.get('t:0')).to.equal(7n);
    });
  });

  describe('.pause() and .resume()', () => {
    it('drops a paused partition’s records, and on resume reads it again from after its last resolved one', () => {
      const { handOver, offsets, positions } = createReading();
      handedOver(handOver, [0, 1]);
      offsets.resolve('t', 0, '0');
      handOver.pause('t', 0);
      expect(handedOver(handOver, [2, 3])).to.deep.equal([]);
      expect(handedOver(handOver, [0], 1)).to.deep.equal(['1:0']);
      handOver.resume('t', 0);
      expect(positions.get('t:0')).to.equal(1n);
      expect(handedOver(handOver, [1, 2, 3])).to.deep.equal(['0:1', '0:2', '0:3']);
    });

    it('leaves the position alone on a resume when nothing was dropped', () => {
      const { handOver, positions } = createReading();
      handedOver(handOver, [0]);
      handOver.pause('t', 0);
      handOver.resume('t', 0);
      expect(positions.has('t:0')).to.equal(false);
      expect(handOver.seeksOf('t', 0)).to.equal(0);
    });
  });

  context('after a classic rejoin', () => {
    it('hands over nothing until the stream has set its positions, then drops the old position’s records', () => {
      const { handOver, positions } = createReading();
      handedOver(handOver, [0, 1, 2]);
      handOver.joined({ t: [0] });
      expect(handedOver(handOver, [3])).to.deep.equal([]);
      positions.set('t:0', 1n);
      handOver.startFromRejoinPositions();
      expect(handedOver(handOver, [4])).to.deep.equal([]);
      expect(handedOver(handOver, [1, 2])).to.deep.equal(['0:1', '0:2']);
    });
  });

  context("with groupProtocol 'consumer' (KIP-848)", () => {
    it('drops what the library reads again of a kept partition, and forgets a revoked one’s seek', () => {
      const { handOver } = createReading(true);
      handedOver(handOver, [0, 1]);
      expect(handedOver(handOver, [0, 1, 2])).to.deep.equal(['0:2']);
      handOver.moveTo('t', 1, 5n);
      expect(handOver.follow([{ topic: 't', partitions: [0] }])).to.deep.equal({
        revoked: ['t:1'],
        assigned: [],
      });
      handOver.follow([{ topic: 't', partitions: [0, 1] }]);
      expect(handedOver(handOver, [0], 1)).to.deep.equal(['1:0']);
    });
  });

  describe('.findSkipped()', () => {
    it('reports a position past the last record handed over, once, and never a paused partition’s', () => {
      const { handOver, positions } = createReading();
      handedOver(handOver, [0, 1]);
      handedOver(handOver, [0], 1);
      positions.set('t:0', 3n);
      positions.set('t:1', 4n);
      handOver.pause('t', 1);
      expect(handOver.findSkipped()).to.deep.equal([{ key: 't:0', lastOffset: 2n }]);
      expect(handOver.findSkipped()).to.deep.equal([]);
    });
  });
});
