import { expect } from 'chai';
import type { HandlerDescriptor } from '../../lib/handlers/handler-registry';
import type { HandlerSource } from '../../lib/handlers/handler-source';
import type { HandlerOptions } from '../../lib/handlers/handler-options';
import type { RetrySchedule } from '../../lib/pipeline/retry-topic-routes';
import { listDeadLetterTopics } from '../../lib/server/dead-letter-topics';

/** A handler source whose event handlers of each topic have the given options. */
function handlersOf(byTopic: Record<string, HandlerOptions[]>): HandlerSource {
  const handler = (topic: string, options: HandlerOptions): HandlerDescriptor => ({
    kind: 'event',
    pattern: topic,
    options,
    controller: 'Spec',
    method: topic,
    invoke: () => undefined,
  });
  return {
    findMessageHandler: () => undefined,
    findEventHandlers: (topic) => (byTopic[topic] ?? []).map((options) => handler(topic, options)),
    topics: () => ({ strings: Object.keys(byTopic), patterns: [/^audit\./] }),
  };
}

describe('listDeadLetterTopics()', () => {
  it('names each handler’s own deadLetter: a topic, or <topic>.dlt for true; none for false', () => {
    const source = handlersOf({
      ledger: [{ deadLetter: 'ledger.failed' }],
      orders: [{ deadLetter: true }],
      quiet: [{ deadLetter: false }],
    });
    expect(listDeadLetterTopics(source, false, [])).to.deep.equal(['ledger.failed', 'orders.dlt']);
  });

  it('applies the server’s deadLetter to handlers without their own', () => {
    const source = handlersOf({ ledger: [{}], orders: [{ deadLetter: false }] });
    expect(listDeadLetterTopics(source, (topic) => `${topic}.dead`, [])).to.deep.equal(['ledger.dead']);
  });

  it('names a retry plan’s dead-letter topic, not the server’s for its handler, each topic once', () => {
    const source = handlersOf({
      payments: [{ retryTopics: { delaysMs: [100] } }],
      refunds: [{ deadLetter: true }],
    });
    const plans = [
      { deadLetter: 'payments.dlt' },
      { deadLetter: false },
      { deadLetter: 'refunds.dlt' },
    ] as unknown as RetrySchedule[];
    expect(listDeadLetterTopics(source, (topic) => `${topic}.dead`, plans)).to.deep.equal([
      'payments.dlt',
      'refunds.dlt',
    ]);
  });
});
