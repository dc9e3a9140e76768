import { expect } from 'chai';
import { Container } from 'inversify';
import { Controller, EventPattern, MessagePattern, registerControllers, RxKafkaError } from '../../lib';
import type { ControllerClass } from '../../lib/handlers/controller';
import { HandlerRegistry } from '../../lib/handlers/handler-registry';
import { splitExactlyOnceRoutes } from '../../lib/exactly-once/exactly-once-routes';

function registryOf(...controllers: ControllerClass[]): HandlerRegistry {
  const container = new Container();
  registerControllers(container, controllers);
  return HandlerRegistry.fromContainer(container, controllers);
}

describe('splitExactlyOnceRoutes()', () => {
  @Controller()
  class BillingController {
    @EventPattern('payments', { exactlyOnce: true })
    invoice(): void {}

    @EventPattern('audits')
    audit(): void {}

    @EventPattern(/^metrics\./)
    metric(): void {}
  }

  it('takes the exactly-once topics out of the at-least-once subscription', () => {
    const routes = splitExactlyOnceRoutes(registryOf(BillingController));
    expect(routes.atLeastOnceTopics.strings).to.deep.equal(['audits']);
    expect(routes.atLeastOnceTopics.patterns.map(String)).to.deep.equal(['/^metrics\\./']);
    expect([...routes.exactlyOnce].map(([topic, handler]) => [topic, handler.method])).to.deep.equal([
      ['payments', 'invoice'],
    ]);
  });

  it('leaves a registry without exactly-once handlers as it is', () => {
    @Controller()
    class AuditController {
      @EventPattern('audits')
      audit(): void {}
    }
    const routes = splitExactlyOnceRoutes(registryOf(AuditController));
    expect(routes.exactlyOnce.size).to.equal(0);
    expect(routes.atLeastOnceTopics.strings).to.deep.equal(['audits']);
  });

  context('when an exactly-once topic has another handler', () => {
    it('refuses a second event handler, naming both', () => {
      @Controller()
      class LedgerController {
        @EventPattern('payments')
        book(): void {}
      }
      expect(() => splitExactlyOnceRoutes(registryOf(BillingController, LedgerController)))
        .to.throw(
          RxKafkaError,
          /topic payments has the exactly-once handler BillingController\.invoice and also LedgerController\.book/,
        )
        .with.property('code', 'RXK_INVALID_OPTIONS');
    });

    it('refuses a message handler of the topic', () => {
      @Controller()
      class PaymentsController {
        @MessagePattern('payments')
        pay(): number {
          return 1;
        }
      }
      expect(() => splitExactlyOnceRoutes(registryOf(BillingController, PaymentsController))).to.throw(
        RxKafkaError,
        /and also PaymentsController\.pay/,
      );
    });

    it('refuses a RegExp handler whose pattern matches the topic', () => {
      @Controller()
      class EverythingController {
        @EventPattern(/^pay/)
        all(): void {}
      }
      expect(() => splitExactlyOnceRoutes(registryOf(BillingController, EverythingController))).to.throw(
        RxKafkaError,
        /and also EverythingController\.all/,
      );
    });
  });
});
