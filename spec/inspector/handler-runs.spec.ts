import { expect } from 'chai';
import {
  publishHandlerEnd,
  publishHandlerStart,
  publishReplyProduced,
} from '../../lib/diagnostics/publish-diagnostics';
import { HandlerRuns } from '../../lib/inspector/handler-runs';
import { HandlerWatch } from '../../lib/inspector/handler-watch';
import { StuckWatch } from '../../lib/inspector/stuck-watch';
import { viewHandlers } from '../../lib/inspector/view-handlers';

const handler = { controller: 'LedgerController', method: 'post', pattern: 'ledger' };

function recordAt(offset: string) {
  return { getMessage: () => ({ topic: 'ledger', partition: 2, offset }) };
}

describe('HandlerRuns', () => {
  let now = 1_000;
  let runs: HandlerRuns;
  let stuck: StuckWatch;
  let handlers: HandlerWatch;
  beforeEach(() => {
    now = 1_000;
    runs = new HandlerRuns({ now: () => now });
    stuck = new StuckWatch({ runs });
    handlers = new HandlerWatch({ now: () => now, runs });
  });
  afterEach(() => {
    stuck.close();
    handlers.close();
    runs.close();
  });

  context('shared by a StuckWatch and a HandlerWatch', () => {
    it('feeds both from one start and one end', () => {
      const record = recordAt('3');
      publishHandlerStart('event', handler, record);
      now = 1_400;
      expect(stuck.runsOn('ledger', 2)).to.have.length(1);
      expect(viewHandlers(handlers).partitions[0].running).to.deep.equal([
        { offset: '3', records: 1, ms: 400, handler: 'LedgerController.post' },
      ]);
      publishHandlerEnd('event', handler, record);
      expect(stuck.runsOn('ledger', 2)).to.deep.equal([]);
      expect(viewHandlers(handlers).partitions).to.deep.equal([]);
      expect(viewHandlers(handlers).handlers[0]).to.deep.include({ runs: 1 });
    });

    it('keeps a finished request for the StuckWatch until its replies are acknowledged, not as running', () => {
      const record = recordAt('4');
      publishHandlerStart('request', handler, record, 'c-4');
      publishHandlerEnd('request', handler, record, 'c-4');
      expect(stuck.runsOn('ledger', 2)[0]).to.deep.include({ correlationId: 'c-4', finishedAt: 1_000 });
      expect(viewHandlers(handlers).partitions).to.deep.equal([]);
      publishReplyProduced({ correlationId: 'c-4', replyTopic: 'ledger.reply' }, 1);
      expect(stuck.runsOn('ledger', 2)).to.deep.equal([]);
    });

    it('goes on for one watch when the other closes', () => {
      stuck.close();
      publishHandlerStart('event', handler, recordAt('5'));
      publishHandlerEnd('event', handler, recordAt('5'));
      expect(viewHandlers(handlers).handlers[0]).to.deep.include({ runs: 1 });
      handlers.close();
      publishHandlerStart('event', handler, recordAt('6'));
      expect(new StuckWatch({ runs }).runsOn('ledger', 2).map((run) => run.offset)).to.deep.equal(['6']);
    });
  });

  it('no longer lists a run still going below the finished offset, but HandlerWatch still shows it', () => {
    publishHandlerStart('event', handler, recordAt('7'));
    expect(stuck.runsOn('ledger', 2, '7')).to.deep.equal([]);
    expect(stuck.runsOn('ledger', 2)).to.deep.equal([]);
    expect(viewHandlers(handlers).partitions[0].runningRecords).to.equal(1);
  });

  it('lists a record started again while its earlier request awaits acknowledgement once, as the newest', () => {
    const record = recordAt('9');
    publishHandlerStart('request', handler, record, 'c-9');
    publishHandlerEnd('request', handler, record, 'c-9');
    now = 2_000;
    publishHandlerStart('request', handler, record, 'c-9');
    publishHandlerStart('request', handler, recordAt('10'), 'c-10');
    const listed = stuck.runsOn('ledger', 2);
    expect(listed.map(({ offset, startedAt }) => [offset, startedAt])).to.deep.equal([
      ['9', 2_000],
      ['10', 2_000],
    ]);
  });
});
