import { expect } from 'chai';
import { Container } from 'inversify';
import {
  Controller,
  EventPattern,
  KafkaHeaders,
  KafkaServer,
  MessagePattern,
  Payload,
  registerControllers,
  silentLogger,
} from '../../lib';
import { createSendError, FakeKafkaDriver } from '../support/fake-kafka-driver';
import { EVERY_TRANSPORT_KAFKA_KEY, NESTED_TYPOS } from '../options/kafka-config-fixtures';
import { RecordingLogger } from '../support/recording-logger';

/** Resolves after pending promise callbacks and one macrotask: enough for the fake's in-memory steps. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function createDeferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}

/** A request record as NestJS's client writes it. */
function request(id: string, value: unknown, replyPartition = 2) {
  return {
    value: JSON.stringify(value),
    headers: {
      [KafkaHeaders.CORRELATION_ID]: id,
      [KafkaHeaders.REPLY_TOPIC]: 'math.sum.reply',
      [KafkaHeaders.REPLY_PARTITION]: String(replyPartition),
    },
  };
}

describe('KafkaServer (on a fake driver)', () => {
  const eventsSeen: unknown[] = [];
  let slowEvent = createDeferred();

  @Controller()
  class MathController {
    @MessagePattern('math.sum')
    sum(@Payload() numbers: number[]): { total: number } {
      return { total: numbers.reduce((a, b) => a + b, 0) };
    }

    @EventPattern('math.audited')
    audited(@Payload() event: unknown): void {
      eventsSeen.push(event);
      if ((event as { fail?: boolean }).fail) throw new Error('audit store down');
    }

    @EventPattern('math.slow')
    async slow(): Promise<void> {
      await slowEvent.promise;
    }
  }

  let driver: FakeKafkaDriver;
  let server: KafkaServer;

  function createServer(logger = silentLogger): KafkaServer {
    const container = new Container();
    registerControllers(container, [MathController]);
    return new KafkaServer(container, { driver, logger, drainTimeoutMs: 5_000 });
  }

  beforeEach(async () => {
    eventsSeen.length = 0;
    slowEvent = createDeferred();
    driver = new FakeKafkaDriver();
    server = createServer();
    await server.listen();
  });

  afterEach(async () => {
    slowEvent.resolve();
    await server.close({ mode: 'abandon' });
  });

  describe('.listen()', () => {
    it('subscribes to every handler topic in NestJS’s group and resolves once assigned', () => {
      expect(driver.consumer.settings.groupId).to.equal('nestjs-group-server');
      expect([...driver.consumer.topics].sort()).to.deep.equal(['math.audited', 'math.slow', 'math.sum']);
      expect(server.connection.state).to.equal('assigned');
      expect(driver.producer.connected).to.equal(true);
    });
  });

  describe('a request', () => {
    it('gets its reply on the requested partition with the correlation id and is-disposed', async () => {
      await driver.consumer.deliver('math.sum', 0, [request('id-1', [1, 2, 3])]);
      const [reply] = driver.producer.records;
      expect(reply).to.include({ topic: 'math.sum.reply', partition: 2 });
      expect(String(reply.record.value)).to.equal('{"total":6}');
      expect(String(reply.record.headers?.[KafkaHeaders.CORRELATION_ID])).to.equal('id-1');
      expect(reply.record.headers?.[KafkaHeaders.NEST_IS_DISPOSED]).to.deep.equal(Buffer.from([0]));
    });

    it('is neither resolved nor committed until Kafka acknowledged its reply', async () => {
      driver.producer.holdAcks();
      const handled = driver.consumer.deliver('math.sum', 0, [request('id-2', [4])]);
      await settle();
      expect(driver.producer.records).to.have.length(1);
      expect(driver.consumer.resolvedOffset('math.sum', 0)).to.equal(undefined);
      expect(driver.consumer.committed.get('math.sum/0')).to.equal(undefined);
      driver.producer.releaseAcks();
      await handled;
      await settle();
      expect(driver.consumer.resolvedOffset('math.sum', 0)).to.equal('1');
      expect(driver.consumer.committed.get('math.sum/0')).to.equal('1');
    });
  });

  describe('a request whose reply takes long', () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    it('returns its batch with the reply due, committing below it meanwhile and past it once acknowledged', async () => {
      driver.producer.holdAcks();
      await driver.consumer.deliver('math.sum', 0, [request('slow-1', [1])]);
      await driver.consumer.deliver('math.sum', 0, [request('slow-2', [2])]);
      await settle();
      expect(driver.consumer.resolvedOffset('math.sum', 0), 'the fetch position').to.equal('2');
      expect(Number(driver.consumer.committed.get('math.sum/0') ?? 0)).to.be.at.most(0);
      driver.producer.releaseAcks();
      await sleep(20);
      expect(driver.consumer.committed.get('math.sum/0')).to.equal('2');
      expect(driver.producer.records).to.have.length(2);
    });

    it('sends the partition back to a request whose reply failed after its batch returned, and redelivers it', async () => {
      driver.producer.holdAcks();
      await driver.consumer.deliver('math.sum', 0, [request('lost-1', [1]), request('lost-2', [2])]);
      driver.producer.releaseAcks(createSendError('lost-connection', 'Connection error'));
      await sleep(20);
      expect(driver.consumer.seeks).to.deep.equal([{ topic: 'math.sum', partition: 0, offset: '0' }]);
      expect(Number(driver.consumer.committed.get('math.sum/0') ?? 0)).to.be.at.most(0);
      await driver.consumer.deliver('math.sum', 0, [request('lost-1', [1]), request('lost-2', [2])], 0);
      await sleep(20);
      expect(driver.consumer.committed.get('math.sum/0')).to.equal('2');
    });
  });

  describe('an event', () => {
    it('whose handler throws is logged and committed: the partition moves on', async () => {
      await server.close();
      const logger = new RecordingLogger();
      driver = new FakeKafkaDriver();
      server = createServer(logger);
      await server.listen();
      await driver.consumer.deliver('math.audited', 0, [{ value: '{"fail":true}' }, { value: '{"n":2}' }]);
      await settle();
      expect(eventsSeen).to.deep.equal([{ fail: true }, { n: 2 }]);
      expect(driver.consumer.committed.get('math.audited/0')).to.equal('2');
      expect(logger.entries.filter((entry) => entry.level === 'error')).to.have.length(1);
      expect(driver.producer.records).to.deep.equal([]);
      expect(server.stats).to.deep.include({ recordsFinished: 2, handlerFailures: 1, deadLetters: 0 });
    });
  });

  describe('.close()', () => {
    it('waits for a running handler, commits it, then leaves the group and reports', async () => {
      const handled = driver.consumer.deliver('math.slow', 0, [{ value: '{}' }]);
      await settle();
      let closed = false;
      const closing = server.close().then((report) => {
        closed = true;
        return report;
      });
      await settle();
      expect(closed).to.equal(false);
      expect(driver.consumer.connected).to.equal(true);
      slowEvent.resolve();
      await handled;
      const report = await closing;
      expect(report).to.include({ mode: 'drain', timedOut: false, recordsFinished: 1, recordsAbandoned: 0 });
      expect(report.committed).to.deep.equal([{ topic: 'math.slow', partition: 0, offset: '1' }]);
      expect(driver.consumer.connected).to.equal(false);
      expect(driver.producer.connected).to.equal(false);
      expect(server.connection.state).to.equal('stopped');
    });
  });

  describe('a rebalance', () => {
    it('moves the connection through rebalancing back to assigned with the new assignment', () => {
      const states: string[] = [];
      const subscription = server.status$.subscribe((status) => states.push(status));
      driver.consumer.rebalance({ 'math.sum': [0, 1] });
      subscription.unsubscribe();
      expect(states).to.include('rebalancing');
      expect(server.connection.state).to.equal('assigned');
      expect(server.connection.assignment).to.deep.equal({ 'math.sum': [0, 1] });
    });
  });

  describe('.unwrap()', () => {
    it('returns the driver’s own client, consumer and producer, as NestJS’s does', () => {
      expect(server.unwrap()).to.deep.equal([driver.native, driver.consumer.native, driver.producer.native]);
    });
  });
});

describe('KafkaServer options', () => {
  for (const { options, path, suggestion } of NESTED_TYPOS) {
    it(`rejects ${path} in the constructor, before any connection, suggesting the key meant`, () => {
      const driver = new FakeKafkaDriver();
      expect(() => new KafkaServer(new Container(), { ...options, driver }))
        .to.throw(`unknown option '${path}': ${suggestion}`)
        .with.property('code', 'RXK_INVALID_OPTIONS');
      expect(driver.producers).to.have.length(0);
      expect(driver.consumers).to.have.length(0);
    });
  }

  it('accepts every key kafkajs takes, down to the kafkajs client built from them', () => {
    expect(
      () => new KafkaServer(new Container(), { ...EVERY_TRANSPORT_KAFKA_KEY, logger: silentLogger }),
    ).not.to.throw();
  });
});
