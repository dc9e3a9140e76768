import { expect } from 'chai';
import {
  publishHandlerEnd,
  publishHandlerRetry,
  publishHandlerStart,
  publishReplyProduced,
} from '../../lib/diagnostics/publish-diagnostics';
import { StuckWatch } from '../../lib/inspector';

const handler = { controller: 'LedgerController', method: 'post', pattern: 'ledger' };

function recordAt(offset: string, key?: string) {
  return { getMessage: () => ({ topic: 'ledger', partition: 1, offset, key }) };
}

describe('StuckWatch', () => {
  let watch: StuckWatch;
  let now = 1_000;
  beforeEach(() => {
    now = 1_000;
    watch = new StuckWatch({ now: () => now });
  });
  afterEach(() => watch.close());

  it('keeps a run from its start to its end, with its key, start time and retry', () => {
    const record = recordAt('4', 'acct-1');
    publishHandlerStart('event', handler, record);
    now = 2_000;
    publishHandlerRetry('event', handler, record, { attempt: 1, attempts: 3, backoffMs: 200 }, 'busy');
    const [run] = watch.runsOn('ledger', 1);
    expect(run).to.deep.include({
      handler: 'LedgerController.post',
      offset: '4',
      key: 'acct-1',
      startedAt: 1_000,
    });
    expect(run.retry).to.deep.include({ attempt: 1, attempts: 3 });
    publishHandlerEnd('event', handler, record);
    expect(watch.runsOn('ledger', 1)).to.deep.equal([]);
  });

  it('keeps a request’s run after its end until its replies are acknowledged', () => {
    const record = recordAt('5');
    publishHandlerStart('request', handler, record, 'c-5');
    now = 3_000;
    publishHandlerEnd('request', handler, record, 'c-5');
    expect(watch.runsOn('ledger', 1)).to.have.length(1);
    expect(watch.runsOn('ledger', 1)[0]).to.deep.include({ correlationId: 'c-5', finishedAt: 3_000 });
    publishReplyProduced({ correlationId: 'c-5', replyTopic: 'ledger.reply', replyPartition: 0 }, 1);
    expect(watch.runsOn('ledger', 1)).to.deep.equal([]);
  });

  it('forgets a run that ends before the next starts, and one that ends while a later one goes on', () => {
    publishHandlerStart('event', handler, recordAt('8'));
    publishHandlerEnd('event', handler, recordAt('8'));
    expect(watch.runsOn('ledger', 1)).to.deep.equal([]);
    const nine = recordAt('9');
    publishHandlerStart('event', handler, nine);
    now = 1_500;
    publishHandlerStart('event', handler, recordAt('10'));
    publishHandlerEnd('event', handler, nine);
    expect(watch.runsOn('ledger', 1)).to.have.length(1);
    expect(watch.runsOn('ledger', 1)[0]).to.deep.include({ offset: '10', startedAt: 1_500 });
  });

  it('forgets runs at or below the finished offset it is given, whatever it last heard of them', () => {
    publishHandlerStart('event', handler, recordAt('6'));
    publishHandlerStart('event', handler, recordAt('7'));
    expect(watch.runsOn('ledger', 1, '6').map((run) => run.offset)).to.deep.equal(['7']);
    expect(watch.runsOn('ledger', 1).map((run) => run.offset)).to.deep.equal(['7']);
  });

  it('keeps at most maxRuns, forgetting the oldest', () => {
    watch.close();
    watch = new StuckWatch({ maxRuns: 2 });
    ['1', '2', '3'].forEach((offset) => publishHandlerStart('event', handler, recordAt(offset)));
    expect(watch.runsOn('ledger', 1).map((run) => run.offset)).to.deep.equal(['2', '3']);
  });

  it('hears nothing once closed', () => {
    watch.close();
    publishHandlerStart('event', handler, recordAt('8'));
    expect(watch.runsOn('ledger', 1)).to.deep.equal([]);
  });
});
