import { expect } from 'chai';
import { Container } from 'inversify';
import {
  Controller,
  EventPattern,
  KafkaServer,
  registerControllers,
  RxKafkaError,
  silentLogger,
} from '../../lib';
import type { ControllerClass } from '../../lib/handlers/controller';
import { HandlerRegistry } from '../../lib/handlers/handler-registry';
import { KafkaRetriableException, RpcException } from '../../lib/handlers/rpc-exception';
import { isRetriedByDefault, RetryTopicRoutes } from '../../lib/pipeline/retry-topic-routes';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';

function registryOf(...controllers: ControllerClass[]): HandlerRegistry {
  const container = new Container();
  registerControllers(container, controllers);
  return HandlerRegistry.fromContainer(container, controllers);
}

async function listenFailure(controller: ControllerClass, driver: FakeKafkaDriver): Promise<RxKafkaError> {
  const container = new Container();
  registerControllers(container, [controller]);
  const server = new KafkaServer(container, { controllers: [controller], driver, logger: silentLogger });
  const error = await server.listen().then(
    () => undefined,
    (failure: unknown) => failure,
  );
  if (!RxKafkaError.isRxKafkaError(error)) throw new Error(`expected listen() to fail, got ${String(error)}`);
  return error;
}

describe('RetryTopicRoutes', () => {
  @Controller()
  class Orders {
    @EventPattern('orders', { retryTopics: { delaysMs: [200, 1000], deadLetter: 'orders.parked' } })
    place(): void {}

    @EventPattern('orders')
    audit(): void {}
  }

  it('maps each retry topic to its handler and the attempt it is for', () => {
    const routes = RetryTopicRoutes.fromHandlers(registryOf(Orders));
    expect(routes.topics).to.deep.equal(['orders.retry.200', 'orders.retry.1000']);
    const [plan] = routes.plans;
    expect(plan).to.include({ source: 'orders', name: 'Orders.place', deadLetter: 'orders.parked' });
    expect(routes.stagesOf('orders.retry.1000')?.map(({ index }) => index)).to.deep.equal([1]);
    expect(routes.stagesOf('orders')).to.equal(undefined);
  });

  it('gives handlers without retryTopics no plan', () => {
    const registry = registryOf(Orders);
    const routes = RetryTopicRoutes.fromHandlers(registry);
    const [place, audit] = registry.findEventHandlers('orders');
    expect(routes.planOf('orders', place)?.name).to.equal('Orders.place');
    expect(routes.planOf('orders', audit)).to.equal(undefined);
  });

  it('refuses a retry topic name that is also a source topic', () => {
    @Controller()
    class Clash {
      @EventPattern('a', { retryTopics: { delaysMs: [5], topicOf: () => 'b' } })
      onA(): void {}

      @EventPattern('b')
      onB(): void {}
    }
    expect(() => RetryTopicRoutes.fromHandlers(registryOf(Clash)))
      .to.throw(RxKafkaError, 'retry topic b cannot be used')
      .with.property('code', 'RXK_INVALID_OPTIONS');
  });

  describe('isRetriedByDefault()', () => {
    it('retries errors and KafkaRetriableException, not a plain RpcException', () => {
      expect(isRetriedByDefault(new Error('down'))).to.equal(true);
      expect(isRetriedByDefault(new KafkaRetriableException('busy'))).to.equal(true);
      expect(isRetriedByDefault(new RpcException('invalid order'))).to.equal(false);
    });
  });

  describe('at KafkaServer.listen()', () => {
    it('refuses an unsorted delay list naming the handler, before connecting', async () => {
      @Controller()
      class Unsorted {
        @EventPattern('orders', { retryTopics: { delaysMs: [1000, 200] } })
        place(): void {}
      }
      const driver = new FakeKafkaDriver();
      const error = await listenFailure(Unsorted, driver);
      expect(error.code).to.equal('RXK_INVALID_OPTIONS');
      expect(error.message)
        .to.include('Unsorted.place.retryTopics.delaysMs')
        .and.include('strictly increasing');
      expect(driver.consumers).to.have.length(0);
    });

    it('refuses a driver that cannot pause partitions', async () => {
      const error = await listenFailure(Orders, new FakeKafkaDriver());
      expect(error.code).to.equal('RXK_INVALID_OPTIONS');
      expect(error.message).to.include('needs a driver that can pause partitions');
    });
  });
});
