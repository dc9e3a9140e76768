import { expect } from 'chai';
import { Container, inject, injectable } from 'inversify';
import type { Consumer, Producer } from 'kafkajs';
import { of } from 'rxjs';
import { RxKafkaError } from '../../lib/errors';
import { Controller, registerControllers } from '../../lib/handlers/controller';
import { EventPattern } from '../../lib/handlers/event-pattern';
import { HandlerRegistry, type HandlerDescriptor } from '../../lib/handlers/handler-registry';
import { MessagePattern } from '../../lib/handlers/message-pattern';
import { Ctx, Payload } from '../../lib/handlers/param-decorators';
import { KafkaContext } from '../../lib/handlers/kafka-context';
import type { IncomingMessage } from '../../lib/wire/parser';

@injectable()
class HeroRepo {
  readonly items = ['sword', 'shield'];
}

@Controller()
class HeroesController {
  constructor(@inject(HeroRepo) private readonly repo: HeroRepo) {}

  @MessagePattern('hero.kill.dragon')
  killDragon(@Payload() message: { dragonId: number }, @Ctx() context: KafkaContext) {
    return { dragonId: message.dragonId, topic: context.getTopic(), items: this.repo.items };
  }

  @MessagePattern(/^hero\..*/)
  anyHero(@Payload('id') id: unknown) {
    return `any:${String(id)}`;
  }

  @EventPattern('hero.killed')
  onKilled(@Payload() data: unknown) {
    return data;
  }

  @EventPattern(/^audit\..*/g)
  audit(@Payload() data: unknown, @Ctx() context: KafkaContext) {
    return [data, context];
  }
}

@Controller()
class AuditController {
  @EventPattern('hero.killed')
  recordKill(@Payload('name') name: unknown) {
    return name;
  }

  @EventPattern(/^audit\.hero\./)
  auditHero() {}

  @EventPattern(/^audit\..*/g)
  auditAll() {}

  @MessagePattern('audit.count')
  count() {
    return 3;
  }
}

@Controller()
class UnboundController {
  @MessagePattern('never.bound')
  never() {}
}

function createContainer(): Container {
  const container = new Container();
  container.bind(HeroRepo).toSelf();
  registerControllers(container, [HeroesController, AuditController]);
  return container;
}

function createContext(topic = 'hero.kill.dragon'): KafkaContext {
  const message: IncomingMessage = {
    topic,
    partition: 1,
    offset: '7',
    timestamp: '0',
    attributes: 0,
    key: null,
    value: null,
    headers: {},
  };
  return new KafkaContext([message, 1, topic, {} as Consumer, async () => undefined, {} as Producer]);
}

function describeHandlers(handlers: readonly HandlerDescriptor[]): string[] {
  return handlers.map((handler) => `${handler.controller}.${handler.method}`);
}

describe('HandlerRegistry', () => {
  describe('.fromContainer()', () => {
    it('discovers the @Controller() classes bound in the container and no others', () => {
      const registry = HandlerRegistry.fromContainer(createContainer());
      expect(registry.findMessageHandler('never.bound')).to.equal(undefined);
      expect(describeHandlers([...registry.messageHandlers.values()])).to.deep.equal([
        'HeroesController.killDragon',
        'AuditController.count',
      ]);
    });

    it('uses only the controllers given, once each', () => {
      const registry = HandlerRegistry.fromContainer(createContainer(), [AuditController, AuditController]);
      expect([...registry.messageHandlers.keys()]).to.deep.equal(['audit.count']);
      expect(describeHandlers(registry.findEventHandlers('hero.killed'))).to.deep.equal([
        'AuditController.recordKill',
      ]);
    });

    it('resolves controllers from the container, so constructor injection works', () => {
      const container = createContainer();
      const registry = HandlerRegistry.fromContainer(container);
      const reply = registry.findMessageHandler('hero.kill.dragon')!.invoke({ dragonId: 7 }, createContext());
      expect(reply).to.deep.equal({ dragonId: 7, topic: 'hero.kill.dragon', items: ['sword', 'shield'] });
    });

    it('calls the method on the instance the container holds', () => {
      const container = createContainer();
      const registry = HandlerRegistry.fromContainer(container);
      const instance = container.get(AuditController);
      instance.count = () => 99;
      expect(registry.findMessageHandler('audit.count')!.invoke(undefined, createContext())).to.equal(99);
    });

    it('builds an empty registry when no controller is bound', () => {
      const registry = HandlerRegistry.fromContainer(new Container());
      expect(registry.topics()).to.deep.equal({ strings: [], patterns: [] });
    });

    it('rejects a given class without @Controller()', () => {
      class PlainClass {}
      expect(() => HandlerRegistry.fromContainer(new Container(), [PlainClass]))
        .to.throw(RxKafkaError, /PlainClass is not a controller/)
        .with.property('code', 'RXK_INVALID_OPTIONS');
    });

    it('wraps a resolution failure, keeping the inversify error as cause', () => {
      const container = new Container();
      registerControllers(container, [HeroesController]);
      expect(() => HandlerRegistry.fromContainer(container))
        .to.throw(RxKafkaError, /the container could not resolve controller HeroesController: .*HeroRepo/)
        .with.property('cause')
        .that.is.instanceOf(Error);
    });

    it('rejects a given controller the container does not bind', () => {
      expect(() => HandlerRegistry.fromContainer(new Container(), [UnboundController]))
        .to.throw(RxKafkaError, /could not resolve controller UnboundController.*registerControllers/s)
        .with.property('code', 'RXK_INVALID_OPTIONS');
    });
  });

  describe('duplicate message patterns', () => {
    @Controller()
    class OtherHeroesController {
      @MessagePattern('hero.kill.dragon')
      slay() {}
    }

    @Controller()
    class TwiceController {
      @MessagePattern(/^a\./)
      first() {}

      @MessagePattern(/^a\./)
      second() {}
    }

    it('rejects two message handlers on one topic, naming both methods', () => {
      const container = createContainer();
      registerControllers(container, [OtherHeroesController]);
      expect(() => HandlerRegistry.fromContainer(container))
        .to.throw(
          RxKafkaError,
          /@MessagePattern\("hero\.kill\.dragon"\) is declared on both HeroesController\.killDragon and OtherHeroesController\.slay/,
        )
        .with.property('code', 'RXK_INVALID_OPTIONS');
    });

    it('rejects two message handlers on one RegExp', () => {
      const container = new Container();
      registerControllers(container, [TwiceController]);
      expect(() => HandlerRegistry.fromContainer(container)).to.throw(
        RxKafkaError,
        /on both TwiceController\.first and TwiceController\.second/,
      );
    });

    it('allows a message handler and event handlers on one topic', () => {
      @Controller()
      class MixedController {
        @MessagePattern('hero.killed')
        reply() {}
      }
      const container = createContainer();
      registerControllers(container, [MixedController]);
      const registry = HandlerRegistry.fromContainer(container);
      expect(registry.findMessageHandler('hero.killed')?.method).to.equal('reply');
      expect(registry.findEventHandlers('hero.killed')).to.have.length(2);
    });
  });

  describe('.findMessageHandler()', () => {
    const registry = HandlerRegistry.fromContainer(createContainer());

    it('describes the handler it finds', () => {
      const handler = registry.findMessageHandler('hero.kill.dragon');
      expect(handler).to.include({
        kind: 'message',
        pattern: 'hero.kill.dragon',
        controller: 'HeroesController',
        method: 'killDragon',
      });
      expect(Object.isFrozen(handler)).to.equal(true);
    });

    it('prefers the exact topic name over a matching RegExp registered before it', () => {
      @Controller()
      class RegExpFirstController {
        @MessagePattern(/^order\./)
        anyOrder() {}

        @MessagePattern('order.created')
        created() {}
      }
      const container = new Container();
      registerControllers(container, [RegExpFirstController]);
      const orders = HandlerRegistry.fromContainer(container);
      expect(orders.findMessageHandler('order.created')?.method).to.equal('created');
      expect(orders.findMessageHandler('order.paid')?.method).to.equal('anyOrder');
    });

    it('falls back to the first matching RegExp in registration order', () => {
      @Controller()
      class OverlappingController {
        @MessagePattern(/^order\..*/)
        broad() {}

        @MessagePattern(/^order\.paid$/)
        narrow() {}
      }
      const container = new Container();
      registerControllers(container, [OverlappingController]);
      const orders = HandlerRegistry.fromContainer(container);
      expect(orders.findMessageHandler('order.paid')?.method).to.equal('broad');
      expect(orders.regExpMessageHandlers.map((handler) => handler.method)).to.deep.equal([
        'broad',
        'narrow',
      ]);
    });

    it('matches a RegExp on a topic it did not name', () => {
      expect(registry.findMessageHandler('hero.rescue.princess')?.method).to.equal('anyHero');
    });

    it('returns undefined when nothing matches', () => {
      expect(registry.findMessageHandler('villain.flee')).to.equal(undefined);
    });
  });

  describe('.findEventHandlers()', () => {
    const registry = HandlerRegistry.fromContainer(createContainer());

    it('returns every handler of a topic across controllers, in registration order', () => {
      expect(describeHandlers(registry.findEventHandlers('hero.killed'))).to.deep.equal([
        'HeroesController.onKilled',
        'AuditController.recordKill',
      ]);
    });

    it('adds every matching RegExp handler after the exact ones', () => {
      expect(describeHandlers(registry.findEventHandlers('audit.hero.created'))).to.deep.equal([
        'HeroesController.audit',
        'AuditController.auditHero',
        'AuditController.auditAll',
      ]);
    });

    it('matches a RegExp with the g flag on every call', () => {
      const first = describeHandlers(registry.findEventHandlers('audit.login'));
      const second = describeHandlers(registry.findEventHandlers('audit.login'));
      expect(first).to.deep.equal(['HeroesController.audit', 'AuditController.auditAll']);
      expect(second).to.deep.equal(first);
    });

    it('returns an empty list when nothing matches', () => {
      expect(registry.findEventHandlers('hero.kill.dragon')).to.deep.equal([]);
    });

    it('returns a new list each time', () => {
      const handlers = registry.findEventHandlers('hero.killed');
      handlers.pop();
      expect(registry.findEventHandlers('hero.killed')).to.have.length(2);
      expect(registry.eventHandlers.get('hero.killed')).to.have.length(2);
    });
  });

  describe('.topics()', () => {
    it('lists each topic name once and each RegExp once, without the g and y flags', () => {
      const { strings, patterns } = HandlerRegistry.fromContainer(createContainer()).topics();
      expect(strings).to.have.members(['hero.kill.dragon', 'audit.count', 'hero.killed']);
      expect(strings).to.have.length(3);
      expect(patterns.map(String)).to.deep.equal(['/^hero\\..*/', '/^audit\\..*/', '/^audit\\.hero\\./']);
    });
  });

  describe('HandlerDescriptor.invoke()', () => {
    @Controller()
    class ArgsController {
      @MessagePattern('args.none')
      none(...args: unknown[]) {
        return args;
      }

      @MessagePattern('args.property')
      property(@Payload('id') id: unknown, @Payload() whole: unknown) {
        return [id, whole];
      }

      @MessagePattern('args.context')
      context(skipped: unknown, @Ctx() context: KafkaContext) {
        return [skipped, context];
      }

      @MessagePattern('args.this')
      self() {
        return this;
      }
    }

    const container = new Container();
    registerControllers(container, [ArgsController]);
    const registry = HandlerRegistry.fromContainer(container);
    const invoke = (topic: string, payload: unknown, context = createContext(topic)) =>
      registry.findMessageHandler(topic)!.invoke(payload, context);

    it('passes only the payload to a method without parameter decorators, as NestJS does', () => {
      expect(invoke('args.none', { id: 1 })).to.deep.equal([{ id: 1 }]);
    });

    it('passes a property of the payload to @Payload(property) and the payload to @Payload()', () => {
      expect(invoke('args.property', { id: 1 })).to.deep.equal([1, { id: 1 }]);
    });

    it('passes the context to @Ctx() and undefined to an undecorated parameter', () => {
      const context = createContext('args.context');
      const [skipped, passed] = invoke('args.context', { id: 1 }, context) as unknown[];
      expect(skipped).to.equal(undefined);
      expect(passed).to.equal(context);
    });

    it('calls the method with this bound to the controller instance', () => {
      expect(invoke('args.this', null)).to.equal(container.get(ArgsController));
    });

    context('when the method returns a value, a Promise or an Observable', () => {
      const results = { value: { id: 1 }, promise: Promise.resolve(1), observable: of(1, 2) };

      for (const [name, result] of Object.entries(results)) {
        it(`returns the ${name} itself`, () => {
          @Controller()
          class ResultController {
            @EventPattern('result')
            handle() {
              return result;
            }
          }
          const resultContainer = new Container();
          registerControllers(resultContainer, [ResultController]);
          const [handler] = HandlerRegistry.fromContainer(resultContainer).findEventHandlers('result');
          expect(handler.invoke(undefined, createContext('result'))).to.equal(result);
        });
      }
    });

    it('throws what the method throws', () => {
      @Controller()
      class FailingController {
        @MessagePattern('fail')
        fail(): never {
          throw new RangeError('no dragons today');
        }
      }
      const failing = new Container();
      registerControllers(failing, [FailingController]);
      const handler = HandlerRegistry.fromContainer(failing).findMessageHandler('fail')!;
      expect(() => handler.invoke(undefined, createContext('fail'))).to.throw(RangeError, 'no dragons today');
    });
  });

  describe('inherited handlers', () => {
    class BaseController {
      @MessagePattern('base.kept')
      kept() {
        return 'base';
      }

      @MessagePattern('base.overridden')
      overridden() {
        return 'base';
      }
    }

    @Controller()
    class ChildController extends BaseController {
      override overridden() {
        return 'child';
      }

      @MessagePattern('child.own')
      own() {
        return 'child';
      }
    }

    const container = new Container();
    registerControllers(container, [ChildController]);
    const registry = HandlerRegistry.fromContainer(container);

    it("registers a base class's decorated method under the subclass's name", () => {
      expect(registry.findMessageHandler('base.kept')).to.include({
        controller: 'ChildController',
        method: 'kept',
      });
    });

    it('drops a handler whose override has no decorator, as NestJS does', () => {
      expect(registry.findMessageHandler('base.overridden')).to.equal(undefined);
    });

    it("lists a subclass's own methods before inherited ones", () => {
      expect([...registry.messageHandlers.keys()]).to.deep.equal(['child.own', 'base.kept']);
    });
  });
});
