import { expect } from 'chai';
import { channel } from 'node:diagnostics_channel';
import {
  DIAGNOSTICS_CHANNELS,
  type DiagnosticsChannelName,
} from '../../lib/diagnostics/diagnostics-channels';
import { publishBatchStart } from '../../lib/diagnostics/publish-diagnostics';
import { HandlerWatch } from '../../lib/inspector/handler-watch';
import type { FetchedBatch } from '../../lib/kafka/fetched-batch';
import { HandlerRunPlayer } from './support/handler-run-player';

const run = {
  kind: 'event' as const,
  handler: 'Ledger.post',
  pattern: 'ledger',
  topic: 'ledger',
  partition: 0,
};

function publish(name: DiagnosticsChannelName, payload: object): void {
  channel(name).publish(payload);
}

function fetch(offsets: string[]): void {
  publish(DIAGNOSTICS_CHANNELS.batchStart, {
    topic: 'ledger',
    partition: 0,
    records: offsets.length,
    keys: offsets.map((offset) => ({ offset, key: `k-${offset}` })),
  });
}

const runs = new HandlerRunPlayer();

function start(offset: string, handler?: string): void {
  runs.start({ offset, key: `k-${offset}`, handler });
}

function end(offset: string): void {
  runs.end({ offset, key: `k-${offset}` });
}

describe('HandlerWatch', () => {
  let clock = 0;
  let watch: HandlerWatch;
  beforeEach(() => {
    clock = 10_000;
    watch = new HandlerWatch({ now: () => clock });
  });
  afterEach(() => watch.close());

  const waiting = () => [...(watch.partitions.get('ledger/0')?.waiting.keys() ?? [])];
  const running = () => [...(watch.partitions.get('ledger/0')?.running.values() ?? [])];

  describe('.partitions', () => {
    it('shows a batch’s records waiting until their handler starts, in order', () => {
      fetch(['1', '2', '3']);
      expect(waiting()).to.deep.equal(['1', '2', '3']);
      start('1');
      end('1');
      expect(waiting()).to.deep.equal(['2', '3']);
      expect(watch.partitions.get('ledger/0')?.waiting.get('2')).to.deep.equal({
        offset: '2',
        key: 'k-2',
        since: 10_000,
      });
    });

    context('when records start out of order (ordering by key)', () => {
      it('keeps the ones behind waiting and passes the ones started ahead', () => {
        fetch(['1', '2', '3', '4']);
        start('3');
        start('1');
        expect(waiting()).to.deep.equal(['2', '4']);
        start('2');
        expect(waiting()).to.deep.equal(['4']);
        start('4');
        expect(waiting()).to.deep.equal([]);
        expect(running().map((record) => record.offset)).to.deep.equal(['3', '1', '2', '4']);
      });

      it('passes a record of the next batch that started before the last of this one', () => {
        fetch(['1', '2']);
        fetch(['3', '4']);
        start('1');
        start('3');
        expect(waiting()).to.deep.equal(['2', '4']);
        start('2');
        expect(waiting()).to.deep.equal(['4']);
      });
    });

    it('reads the records of a batch rxkafka fetched, decoding the keys of those waiting', () => {
      const actor = { id: 'c-1', getSnapshot: () => ({ context: { groupId: 'g' } }) };
      const messages = ['1', '2', '3'].map((offset) => ({
        offset,
        key: offset === '3' ? null : Buffer.from(`k-${offset}`),
      }));
      const batch = { batch: { topic: 'ledger', partition: 0, highWatermark: '4', messages } };
      publishBatchStart(actor as never, batch as unknown as FetchedBatch);
      start('1');
      expect([...(watch.partitions.get('ledger/0')?.waiting.values() ?? [])]).to.deep.equal([
        { offset: '2', key: 'k-2', since: 10_000 },
        { offset: '3', since: 10_000 },
      ]);
    });

    it('counts a second handler’s start on the same record once', () => {
      fetch(['1', '2']);
      start('1');
      start('1', 'Audit.log');
      expect(waiting()).to.deep.equal(['2']);
      expect(running()).to.have.length(2);
    });

    it('forgets the records of a batch given back, and shows a record fetched again from its new fetch', () => {
      fetch(['5', '6', '7']);
      start('5');
      publish(DIAGNOSTICS_CHANNELS.batchEnd, { topic: 'ledger', partition: 0, lastOffset: '7' });
      expect(waiting()).to.deep.equal([]);
      expect(running()).to.deep.equal([]);
      clock = 12_000;
      fetch(['5', '6', '7']);
      start('5');
      expect(waiting()).to.deep.equal(['6', '7']);
      expect(running()).to.deep.equal([{ offset: '5', key: 'k-5', since: 12_000, handler: 'Ledger.post' }]);
    });

    it('times a retried run from its first attempt, and a run fetched again from its new start', () => {
      start('8');
      clock = 11_000;
      const retry = { attempt: 1, attempts: 2, nextAttemptAt: 11_500 };
      publish(DIAGNOSTICS_CHANNELS.handlerRetry, { ...run, offset: '8', ...retry, error: 'busy' });
      start('8');
      expect(running()).to.deep.equal([{ offset: '8', key: 'k-8', since: 10_000, handler: 'Ledger.post' }]);
      publish(DIAGNOSTICS_CHANNELS.batchEnd, { topic: 'ledger', partition: 0, lastOffset: '8' });
      clock = 13_000;
      start('8');
      expect(running()).to.deep.equal([{ offset: '8', key: 'k-8', since: 13_000, handler: 'Ledger.post' }]);
    });
  });
});
