import { expect } from 'chai';
import { RxKafkaError } from '../../lib/errors';
import { EventPattern } from '../../lib/handlers/event-pattern';
import { MessagePattern } from '../../lib/handlers/message-pattern';
import { resolveRetryTopics, toRetryTopic } from '../../lib/handlers/retry-topics-options';

function refusal(run: () => unknown): RxKafkaError {
  try {
    run();
  } catch (error) {
    if (RxKafkaError.isRxKafkaError(error)) return error;
    throw error;
  }
  throw new Error('expected an RxKafkaError');
}

describe('retryTopics options', () => {
  describe('toRetryTopic()', () => {
    it('names the retry topic <topic>.retry.<delayMs>', () => {
      expect(toRetryTopic('orders', 1000)).to.equal('orders.retry.1000');
    });
  });

  describe('resolveRetryTopics()', () => {
    it('fills in the defaults: dead letters to <topic>.dlt, topics not created', () => {
      const resolved = resolveRetryTopics({ delaysMs: [200, 1000] }, 'Orders.place');
      expect(resolved).to.include({ deadLetter: true, createTopics: false, retryOn: undefined });
      expect(resolved.delaysMs).to.deep.equal([200, 1000]);
      expect(resolved.topicOf('orders', 200)).to.equal('orders.retry.200');
      expect(Object.isFrozen(resolved)).to.equal(true);
    });

    const refused: Array<[string, unknown, string]> = [
      ['an empty delay list', { delaysMs: [] }, 'non-empty array'],
      ['no delay list', {}, 'non-empty array'],
      ['an unsorted delay list', { delaysMs: [1000, 200] }, 'strictly increasing'],
      ['a delay given twice', { delaysMs: [200, 200] }, 'strictly increasing'],
      ['a zero delay', { delaysMs: [0, 200] }, 'positive integer'],
      ['a negative delay', { delaysMs: [-5] }, 'positive integer'],
      ['a fractional delay', { delaysMs: [1.5] }, 'positive integer'],
      ['a retryOn that is no function', { delaysMs: [1], retryOn: true }, 'retryOn must be a function'],
      ['an empty dead-letter topic', { delaysMs: [1], deadLetter: '' }, 'deadLetter must be'],
      ['an unknown field', { delaysMs: [1], delays: [1] }, 'delays is not an option'],
      ['no object', [200], 'must be an object'],
    ];
    for (const [what, options, text] of refused) {
      it(`refuses ${what}, naming the handler`, () => {
        const error = refusal(() => resolveRetryTopics(options, 'Orders.place'));
        expect(error.code).to.equal('RXK_INVALID_OPTIONS');
        expect(error.message).to.include('Orders.place.retryTopics').and.include(text);
        expect(error.context.path).to.match(/^Orders\.place\.retryTopics/);
      });
    }
  });

  describe('on the decorators', () => {
    it('takes no dead-letter topic on @MessagePattern: a request gets an error reply', () => {
      const error = refusal(() => {
        class Orders {
          @MessagePattern('orders', { retryTopics: { delaysMs: [1000], deadLetter: true } })
          place(): void {}
        }
        return Orders;
      });
      expect(error.message).to.include('remove retryTopics.deadLetter');
    });

    it('is refused with exactlyOnce, saying why', () => {
      const error = refusal(() => {
        class Orders {
          @EventPattern('orders', { exactlyOnce: true, retryTopics: { delaysMs: [1000] } })
          place(): void {}
        }
        return Orders;
      });
      expect(error.code).to.equal('RXK_INVALID_OPTIONS');
      expect(error.message).to.include('Orders.place').and.include('cannot be combined with exactlyOnce');
      expect(error.context.path).to.equal('Orders.place.retryTopics');
    });

    it('is refused on a RegExp pattern', () => {
      const error = refusal(() => {
        class Orders {
          @EventPattern(/orders/, { retryTopics: { delaysMs: [1000] } })
          place(): void {}
        }
        return Orders;
      });
      expect(error.message).to.include('needs a topic name');
    });

    it('is refused beside in-place retries and a dead-letter option of the handler', () => {
      const withRetry = refusal(() => {
        class Orders {
          @EventPattern('orders', { retry: { attempts: 2 }, retryTopics: { delaysMs: [1000] } })
          place(): void {}
        }
        return Orders;
      });
      expect(withRetry.message).to.include('remove option retry');
      const withDeadLetter = refusal(() => {
        class Orders {
          @EventPattern('orders', { deadLetter: true, retryTopics: { delaysMs: [1000] } })
          place(): void {}
        }
        return Orders;
      });
      expect(withDeadLetter.message).to.include('retryTopics.deadLetter');
    });
  });
});
