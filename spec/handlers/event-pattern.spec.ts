import { expect } from 'chai';
import { RxKafkaError } from '../../lib/errors';
import { EventPattern } from '../../lib/handlers/event-pattern';
import { readPatternMetadata } from '../../lib/handlers/handler-metadata';

describe('EventPattern()', () => {
  it('records an event pattern on the method', () => {
    const audit = /^audit\..*/;
    class AuditController {
      @EventPattern('hero.killed')
      onKilled(): void {}

      @EventPattern(audit)
      onAudit(): void {}
    }
    expect(readPatternMetadata(AuditController.prototype, 'onKilled')).to.deep.equal([
      { kind: 'event', pattern: 'hero.killed' },
    ]);
    expect(readPatternMetadata(AuditController.prototype, 'onAudit')[0]).to.include({
      kind: 'event',
      pattern: audit,
    });
  });

  it('records nothing on undecorated methods', () => {
    class AuditController {
      @EventPattern('hero.killed')
      onKilled(): void {}

      helper(): void {}
    }
    expect(readPatternMetadata(AuditController.prototype, 'helper')).to.deep.equal([]);
  });

  it('rejects an empty string, naming the class and method', () => {
    function define() {
      class AuditController {
        @EventPattern('')
        onKilled(): void {}
      }
      return AuditController;
    }
    expect(define)
      .to.throw(RxKafkaError, /@EventPattern\(""\) on AuditController\.onKilled/)
      .with.property('code', 'RXK_INVALID_OPTIONS');
  });

  it('rejects a static method', () => {
    function define() {
      class AuditController {
        @EventPattern('hero.killed')
        static onKilled(): void {}
      }
      return AuditController;
    }
    expect(define).to.throw(RxKafkaError, /static member AuditController\.onKilled/);
  });

  it('rejects the same event pattern twice on one method', () => {
    function define() {
      class AuditController {
        @EventPattern('hero.killed')
        @EventPattern('hero.killed')
        onKilled(): void {}
      }
      return AuditController;
    }
    expect(define).to.throw(
      RxKafkaError,
      /@EventPattern\("hero\.killed"\) appears twice on AuditController\.onKilled/,
    );
  });

  context('with { exactlyOnce: true }', () => {
    it('records the option with the pattern', () => {
      class BillingController {
        @EventPattern('payments', { exactlyOnce: true })
        invoice(): void {}
      }
      expect(readPatternMetadata(BillingController.prototype, 'invoice')).to.deep.equal([
        { kind: 'event', pattern: 'payments', options: { exactlyOnce: true } },
      ]);
    });

    it('rejects a RegExp pattern, asking for a topic name', () => {
      function define() {
        class BillingController {
          @EventPattern(/^payments\./, { exactlyOnce: true })
          invoice(): void {}
        }
        return BillingController;
      }
      expect(define)
        .to.throw(
          RxKafkaError,
          /BillingController\.invoice: option exactlyOnce needs a topic name, not a RegExp/,
        )
        .with.property('code', 'RXK_INVALID_OPTIONS');
    });

    it('rejects a value that is not a boolean', () => {
      function define() {
        class BillingController {
          @EventPattern('payments', { exactlyOnce: 'yes' as unknown as boolean })
          invoice(): void {}
        }
        return BillingController;
      }
      expect(define).to.throw(RxKafkaError, /option exactlyOnce must be true or false, got "yes"/);
    });
  });
});
