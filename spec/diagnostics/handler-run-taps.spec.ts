import { expect } from 'chai';
import { channel } from 'node:diagnostics_channel';
import { DIAGNOSTICS_CHANNELS } from '../../lib/diagnostics/diagnostics-channels';
import { tapHandlerRuns, type HandlerRunTap } from '../../lib/diagnostics/handler-run-taps';
import {
  countPayloadsBuilt,
  publishHandlerEnd,
  publishHandlerError,
  publishHandlerStart,
} from '../../lib/diagnostics/publish-diagnostics';

const handler = { controller: 'Ledger', method: 'post', pattern: 'ledger' };
const context = { getMessage: () => ({ topic: 'ledger', partition: 1, offset: '7', key: 'acct-1' }) };

/** A tap that writes down what it hears. */
function recordingTap(heard: unknown[][]): HandlerRunTap {
  return {
    runStarted: (...args) => heard.push(['started', ...args]),
    runFailed: (...args) => heard.push(['failed', ...args]),
    runEnded: (...args) => heard.push(['ended', ...args]),
  };
}

describe('tapHandlerRuns()', () => {
  it('tells a tap of each start, failure and end with the handler and context as published', () => {
    const heard: unknown[][] = [];
    const untap = tapHandlerRuns(recordingTap(heard));
    try {
      publishHandlerStart('request', handler, context, 'c-1');
      publishHandlerError('request', handler, context, new Error('down'), 'c-1');
      publishHandlerEnd('request', handler, context, 'c-1');
    } finally {
      untap();
    }
    expect(heard).to.have.length(3);
    expect(heard[0]).to.deep.equal(['started', 'request', handler, context, 'c-1']);
    expect(heard[0][2]).to.equal(handler);
    expect(heard[0][3]).to.equal(context);
    expect(heard[1]).to.deep.equal(['failed', 'request', handler, context]);
    expect(heard[2]).to.deep.equal(['ended', 'request', handler, context, 'c-1']);
  });

  it('builds no payload for a tap while no channel has a listener', () => {
    const heard: unknown[][] = [];
    const untap = tapHandlerRuns(recordingTap(heard));
    const before = countPayloadsBuilt();
    try {
      publishHandlerStart('event', handler, context);
      publishHandlerEnd('event', handler, context);
    } finally {
      untap();
    }
    expect(heard).to.have.length(2);
    expect(countPayloadsBuilt()).to.equal(before);
  });

  it('still gives a channel’s listeners their payloads, with the duration', () => {
    const heard: unknown[][] = [];
    const ends: unknown[] = [];
    const listener = (message: unknown): void => void ends.push(message);
    channel(DIAGNOSTICS_CHANNELS.handlerEnd).subscribe(listener);
    const untap = tapHandlerRuns(recordingTap(heard));
    try {
      publishHandlerStart('event', handler, context);
      publishHandlerEnd('event', handler, context);
    } finally {
      untap();
      channel(DIAGNOSTICS_CHANNELS.handlerEnd).unsubscribe(listener);
    }
    expect(heard.map(([what]) => what)).to.deep.equal(['started', 'ended']);
    expect(ends).to.have.length(1);
    expect(ends[0]).to.deep.include({ handler: 'Ledger.post', offset: '7', key: 'acct-1' });
    expect(ends[0]).to.have.property('durationMs').that.is.a('number');
  });

  it('tells a tap nothing once it is untapped, and the others go on hearing', () => {
    const first: unknown[][] = [];
    const second: unknown[][] = [];
    const untapFirst = tapHandlerRuns(recordingTap(first));
    const untapSecond = tapHandlerRuns(recordingTap(second));
    try {
      publishHandlerStart('event', handler, context);
      untapFirst();
      publishHandlerEnd('event', handler, context);
    } finally {
      untapFirst();
      untapSecond();
    }
    expect(first.map(([what]) => what)).to.deep.equal(['started']);
    expect(second.map(([what]) => what)).to.deep.equal(['started', 'ended']);
  });
});
