import { expect } from 'chai';
import { channel } from 'node:diagnostics_channel';
import {
  DIAGNOSTICS_CHANNELS,
  type DiagnosticsChannelName,
} from '../../lib/diagnostics/diagnostics-channels';
import { HandlerWatch } from '../../lib/inspector/handler-watch';
import { viewHandlers } from '../../lib/inspector/view-handlers';
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

const runs = new HandlerRunPlayer();

describe('viewHandlers()', () => {
  let clock = 0;
  let watch: HandlerWatch;
  beforeEach(() => {
    clock = 10_000;
    watch = new HandlerWatch({ windowMs: 60_000, now: () => clock });
  });
  afterEach(() => watch.close());

  it('gives each handler its runs, failures, retries, dead letters and latency percentiles', () => {
    for (let offset = 0; offset < 100; offset++) {
      runs.start({ offset: String(offset) });
      clock += offset + 1;
      runs.end({ offset: String(offset) });
    }
    runs.start({ offset: '100' });
    const retry = { attempt: 1, attempts: 2, nextAttemptAt: 11_000, error: new Error('flaky') };
    publish(DIAGNOSTICS_CHANNELS.handlerRetry, { ...run, offset: '100', ...retry });
    clock += 500;
    runs.fail({ offset: '100' }, new Error('down'));
    publish(DIAGNOSTICS_CHANNELS.deadLetterSent, { ...run, offset: '100', deadLetterTopic: 'ledger.dlt' });
    runs.end({ offset: '100' });
    expect(viewHandlers(watch).handlers).to.deep.equal([
      {
        handler: 'Ledger.post',
        pattern: 'ledger',
        kind: 'event',
        runs: 101,
        failures: 1,
        retries: 1,
        deadLetters: 1,
        windowRuns: 101,
        p50Ms: 51,
        p99Ms: 100,
      },
    ]);
  });

  it('reads latencies over the sliding window only', () => {
    runs.start({ offset: '0' });
    clock += 900;
    runs.end({ offset: '0' });
    clock += 61_000;
    runs.start({ offset: '1' });
    clock += 4;
    runs.end({ offset: '1' });
    const [view] = viewHandlers(watch).handlers;
    expect(view).to.deep.include({ runs: 2, windowRuns: 1, p50Ms: 4, p99Ms: 4 });
  });

  it('lists the keys waiting behind a running one and the runs, longest first, top N', () => {
    const keys = [
      { offset: '5', key: 'acct-42' },
      { offset: '6', key: 'acct-42' },
      { offset: '7', key: 'acct-7' },
      { offset: '8' },
    ];
    publish(DIAGNOSTICS_CHANNELS.batchStart, { topic: 'ledger', partition: 0, records: 4, keys });
    clock += 1_000;
    runs.start({ offset: '5', key: 'acct-42' });
    clock += 2_000;
    runs.start({ offset: '8' });
    clock += 500;
    const [partition] = viewHandlers(watch, { topKeys: 1 }).partitions;
    expect(partition).to.deep.equal({
      topic: 'ledger',
      partition: 0,
      waitingRecords: 2,
      runningRecords: 2,
      waiting: [{ key: 'acct-42', offset: '6', records: 1, ms: 3_500 }],
      running: [{ key: 'acct-42', offset: '5', records: 1, ms: 2_500, handler: 'Ledger.post' }],
    });
    expect(viewHandlers(watch).partitions[0].waiting).to.deep.equal([
      { key: 'acct-42', offset: '6', records: 1, ms: 3_500 },
      { key: 'acct-7', offset: '7', records: 1, ms: 3_500 },
    ]);
  });

  it('leaves keys out when asked to hide them', () => {
    publish(DIAGNOSTICS_CHANNELS.batchStart, {
      topic: 'ledger',
      partition: 0,
      keys: [{ offset: '1', key: 'k' }],
    });
    runs.start({ offset: '0', key: 'secret' });
    const [partition] = viewHandlers(watch, { hideKeys: true }).partitions;
    expect(JSON.stringify(partition)).not.to.match(/secret|"k"/);
    expect(partition.waiting).to.deep.equal([{ offset: '1', records: 1, ms: 0 }]);
  });

  it('shows a run waiting to retry with its attempt, and forgets a batch once it returns', () => {
    publish(DIAGNOSTICS_CHANNELS.batchStart, {
      topic: 'ledger',
      partition: 0,
      keys: [{ offset: '3' }, { offset: '4' }],
    });
    runs.start({ offset: '3' });
    const retry = { attempt: 1, attempts: 3, nextAttemptAt: 12_000 };
    publish(DIAGNOSTICS_CHANNELS.handlerRetry, { ...run, offset: '3', ...retry, error: new Error('x') });
    expect(viewHandlers(watch).partitions[0].running[0].retry).to.deep.equal(retry);
    publish(DIAGNOSTICS_CHANNELS.batchEnd, {
      topic: 'ledger',
      partition: 0,
      firstOffset: '3',
      lastOffset: '4',
    });
    expect(viewHandlers(watch).partitions).to.deep.equal([]);
  });

  context('when a run ends before the next starts (a synchronous handler)', () => {
    it('counts it and shows nothing running, while a run that goes on is shown', () => {
      publish(DIAGNOSTICS_CHANNELS.batchStart, {
        topic: 'ledger',
        partition: 0,
        keys: [{ offset: '1' }, { offset: '2' }, { offset: '3' }],
      });
      runs.start({ offset: '1' });
      clock += 2;
      runs.end({ offset: '1' });
      runs.start({ offset: '2' });
      const views = viewHandlers(watch);
      expect(views.handlers[0]).to.deep.include({ runs: 1, p50Ms: 2 });
      expect(views.partitions[0]).to.deep.include({ waitingRecords: 1, runningRecords: 1 });
      expect(views.partitions[0].running).to.deep.equal([
        { offset: '2', records: 1, ms: 0, handler: 'Ledger.post' },
      ]);
    });

    it('forgets runs that end out of order, each from its own start', () => {
      runs.start({ offset: '4' });
      clock += 1_000;
      runs.start({ offset: '5' });
      runs.end({ offset: '4' });
      clock += 500;
      expect(viewHandlers(watch).partitions[0].running).to.deep.equal([
        { offset: '5', records: 1, ms: 500, handler: 'Ledger.post' },
      ]);
      runs.end({ offset: '5' });
      expect(viewHandlers(watch).partitions).to.deep.equal([]);
      expect(viewHandlers(watch).handlers[0]).to.deep.include({ runs: 2, p50Ms: 500, p99Ms: 1_000 });
    });

    it('forgets a retried run once its next attempt ends', () => {
      runs.start({ offset: '6' });
      const retry = { attempt: 1, attempts: 2, nextAttemptAt: 12_000 };
      publish(DIAGNOSTICS_CHANNELS.handlerRetry, { ...run, offset: '6', ...retry, error: new Error('x') });
      runs.start({ offset: '6' });
      runs.end({ offset: '6' });
      expect(viewHandlers(watch).partitions).to.deep.equal([]);
    });
  });

  it('refuses a topKeys below 1, naming it', () => {
    expect(() => viewHandlers(watch, { topKeys: 0 }))
      .to.throw(/topKeys is 0/)
      .with.property('code', 'RXK_INVALID_OPTIONS');
  });

  it('refuses a window of 0, naming it', () => {
    expect(() => new HandlerWatch({ windowMs: 0 }))
      .to.throw(/windowMs is 0/)
      .with.property('code', 'RXK_INVALID_OPTIONS');
  });
});
