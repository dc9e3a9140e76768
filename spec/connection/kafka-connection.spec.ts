import { expect } from 'chai';
import { KafkaConnection } from '../../lib/connection/kafka-connection';
import { RxKafkaError } from '../../lib/errors';
import type { FetchedBatch } from '../../lib/kafka/fetched-batch';
import type { DriverCapabilities } from '../../lib/kafka/kafka-driver';
import { silentLogger } from '../../lib/logger';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { RecordingLogger } from '../support/recording-logger';

const settle = () => new Promise((resolve) => setImmediate(resolve));

interface Setup {
  readonly driver: FakeKafkaDriver;
  readonly connection: KafkaConnection;
  readonly steps: string[];
}

/** A consumer connection on a fake driver whose batch handler resolves each record at once. */
function createConnection(
  options: {
    withConsumer?: boolean;
    logger?: RecordingLogger;
    maxConnectAttempts?: number;
    produces?: boolean;
    capabilities?: DriverCapabilities;
    /** Resolves when in-flight work is finished; the default has none. */
    finish?: () => Promise<void>;
  } = {},
): Setup {
  const driver = new FakeKafkaDriver();
  driver.capabilities = options.capabilities;
  const steps: string[] = [];
  const eachBatch = async ({ batch, resolveOffset }: FetchedBatch) => {
    for (const message of batch.messages) resolveOffset(message.offset);
  };
  const connection = new KafkaConnection({
    driver,
    clientId: 'orders-server',
    logger: options.logger ?? silentLogger,
    maxConnectAttempts: options.maxConnectAttempts,
    produces: options.produces,
    consumer:
      options.withConsumer === false
        ? undefined
        : { groupId: 'orders', topics: ['orders.placed'], fromBeginning: true, eachBatch },
    inFlight: {
      finish: async () => {
        steps.push(`finish:${connection.dispatchMode}`);
        await options.finish?.();
      },
      abandon: () => void steps.push(`abandon:${connection.dispatchMode}`),
    },
  });
  return { driver, connection, steps };
}

describe('KafkaConnection (on a fake driver)', () => {
  const open: KafkaConnection[] = [];
  afterEach(async () => {
    for (const connection of open.splice(0)) {
      await connection.close('abandon');
      connection.dispose();
    }
  });

  function track(setup: Setup): Setup {
    open.push(setup.connection);
    return setup;
  }

  describe('.connect()', () => {
    it('connects the producer, joins the group and resolves in assigned with the assignment', async () => {
      const { driver, connection } = track(createConnection());
      await connection.connect();
      expect(connection.state).to.equal('assigned');
      expect(connection.assignment).to.deep.equal({ 'orders.placed': [0] });
      expect(driver.producer.connected).to.equal(true);
      expect(driver.consumer.settings.groupId).to.equal('orders');
    });

    it('never connects the producer of a connection that only consumes (produces: false)', async () => {
      const { driver, connection } = track(createConnection({ produces: false }));
      await connection.connect();
      expect(connection.state).to.equal('assigned');
      expect(driver.consumer.connected).to.equal(true);
      expect(driver.producer.connected).to.equal(false);
      await connection.close();
      expect(connection.state).to.equal('stopped');
      expect(driver.consumer.connected).to.equal(false);
    });

    it('resolves in connected for a producer-only connection, which never joins a group', async () => {
      const { driver, connection } = track(createConnection({ withConsumer: false }));
      await connection.connect();
      expect(connection.state).to.equal('connected');
      expect(driver.consumers).to.deep.equal([]);
      expect(connection.consumer).to.equal(undefined);
    });

    it('rejects with the driver’s own typed error, once, for a refused login', async () => {
      const { driver, connection } = track(createConnection({ maxConnectAttempts: 5 }));
      const refused = new RxKafkaError('RXK_AUTHENTICATION_FAILED', 'the broker refused user orders');
      driver.producer.connectError = refused;
      const error = await connection.connect().catch((rejected: unknown) => rejected);
      expect(error).to.equal(refused);
      expect(connection.state).to.equal('failed');
      expect(connection.actor.getSnapshot().context.connectAttempts).to.equal(1);
    });
  });

  describe('failed connect attempts', () => {
    it('logs one warn line per attempt it retries, with the error and the wait, and none for the one that succeeds', async () => {
      const logger = new RecordingLogger();
      const { driver, connection } = track(createConnection({ logger, maxConnectAttempts: 2 }));
      driver.producer.connectError = new RxKafkaError('RXK_BROKER_UNREACHABLE', 'no broker answered at b:1', {
        retriable: true,
      });
      await connection.connect();
      const lines = logger.entries.filter((entry) => entry.level !== 'debug');
      expect(lines).to.have.length(1);
      expect(lines[0].level).to.equal('warn');
      expect(lines[0].message).to.contain('connect attempt 1 failed, next in 500 ms');
      expect(lines[0].message).to.contain('RXK_BROKER_UNREACHABLE: no broker answered at b:1');
      expect(lines[0].fields).to.deep.equal({ attempt: 1, retryInMs: 500 });
    });

    it("rejects an unrecognised failure with RXK_NOT_CONNECTED whose cause is the library's error", async () => {
      const { driver, connection } = track(createConnection({ maxConnectAttempts: 1 }));
      const failure = new Error('something kafkajs threw');
      driver.producer.connectError = failure;
      const error = await connection.connect().catch((rejected: unknown) => rejected);
      expect(error).to.have.property('code', 'RXK_NOT_CONNECTED');
      expect(error).to.have.property('cause', failure);
    });
  });

  describe('the group join and the driver’s capabilities', () => {
    it('goes from connecting.starting straight to assigned with a driver that joins inside consume(), as kafkajs', async () => {
      const { connection } = track(createConnection({ capabilities: { joinsAfterConsume: false } }));
      const seen: string[] = [];
      connection.actor.subscribe((snapshot) => seen.push(JSON.stringify(snapshot.value)));
      await connection.connect();
      expect(seen).not.to.include(JSON.stringify({ connecting: 'joining' }));
      expect(connection.state).to.equal('assigned');
    });

    it('waits in connecting.joining, not ready, for a join a driver reports after consume() (joinsAfterConsume)', async () => {
      const { driver, connection } = track(createConnection({ capabilities: { joinsAfterConsume: true } }));
      driver.consumer.joinsOnConsume = false;
      let resolved = false;
      const connected = connection.connect().then(() => (resolved = true));
      await settle();
      expect(connection.actor.getSnapshot().value).to.deep.equal({ connecting: 'joining' });
      expect(resolved).to.equal(false);
      driver.consumer.join({ 'orders.placed': [0, 1] });
      await connected;
      expect(connection.state).to.equal('assigned');
      expect(connection.assignment).to.deep.equal({ 'orders.placed': [0, 1] });
    });

    it('keeps the generation a heartbeat or commit reports after a join without one, for its own member only', async () => {
      const { driver, connection } = track(createConnection());
      driver.consumer.joinsWithGeneration = false;
      await connection.connect();
      const context = () => connection.actor.getSnapshot().context;
      expect(context().generationId).to.equal(undefined);
      driver.consumer.reportGeneration('another-member');
      expect(context().generationId).to.equal(undefined);
      driver.consumer.reportGeneration();
      expect(context().generationId).to.equal(1);
      // The next join, again without a generation, leaves none rather than the previous one.
      driver.consumer.rebalance({ 'orders.placed': [0] });
      expect(context().generationId).to.equal(undefined);
      driver.consumer.reportGeneration();
      expect(context().generationId).to.equal(2);
    });
  });

  describe('consumer events', () => {
    it('goes through rebalancing back to assigned on a rebalance', async () => {
      const { driver, connection } = track(createConnection());
      await connection.connect();
      const seen: string[] = [];
      const subscription = connection.transitions$.subscribe((transition) => seen.push(transition.to));
      driver.consumer.rebalance({ 'orders.placed': [1, 2] });
      subscription.unsubscribe();
      expect(seen).to.deep.equal(['rebalancing', 'assigned']);
      expect(connection.assignment).to.deep.equal({ 'orders.placed': [1, 2] });
    });

    it('waits in reconnecting.restarting after a crash the library restarts, and is assigned on its join', async () => {
      const { driver, connection } = track(createConnection());
      await connection.connect();
      driver.consumer.crash(new Error('coordinator lost'), true);
      expect(connection.actor.getSnapshot().value).to.deep.equal({ reconnecting: 'restarting' });
      driver.consumer.join();
      expect(connection.state).to.equal('assigned');
    });

    it('fails after a crash the library does not restart, and logs that a serving connection gave up', async () => {
      const logger = new RecordingLogger();
      const { driver, connection } = track(createConnection({ logger }));
      await connection.connect();
      driver.consumer.crash(new Error('fenced'), false);
      expect(connection.state).to.equal('failed');
      expect(logger.find('error', 'stopped reconnecting')).to.have.length(1);
    });
  });

  describe('incremental rebalances (KIP-848)', () => {
    it('adds and takes single partitions while staying assigned, committing a taken one before it is released', async () => {
      const { driver, connection } = track(createConnection());
      await connection.connect();
      const seen: string[] = [];
      const subscription = connection.transitions$.subscribe((transition) => seen.push(transition.to));
      driver.consumer.assignPartitions({ 'orders.placed': [1] });
      expect(connection.assignment).to.deep.equal({ 'orders.placed': [0, 1] });
      await driver.consumer.deliver('orders.placed', 1, [{ value: 'a' }, { value: 'b' }]);
      driver.consumer.revokePartitions({ 'orders.placed': [1] });
      await settle();
      subscription.unsubscribe();
      expect(seen.filter((state) => state !== 'assigned')).to.deep.equal([]);
      expect(connection.state).to.equal('assigned');
      expect(connection.assignment).to.deep.equal({ 'orders.placed': [0] });
      expect(driver.consumer.committed.get('orders.placed/1')).to.equal('2');
      expect(connection.partitions.map(({ id }) => id)).to.deep.equal(['partition:orders.placed/0']);
    });
  });

  describe('a producer-only connection losing its brokers', () => {
    it('moves to reconnecting on a send the driver reports lost, and is connected again on its own', async () => {
      const { driver, connection } = track(createConnection({ withConsumer: false }));
      await connection.connect();
      const seen: string[] = [];
      const subscription = connection.transitions$.subscribe((transition) => seen.push(transition.to));
      driver.producer.lostWith = Object.assign(new Error('Connection error: ECONNREFUSED'), {
        name: 'KafkaJSConnectionError',
      });
      const failed = await connection.produceQueue
        .send('orders.placed', [{ value: 'a' }])
        .catch((error: unknown) => error);
      expect(failed).to.be.instanceOf(Error);
      expect(connection.state).to.equal('reconnecting');
      expect(connection.isServing).to.equal(true);
      driver.producer.lostWith = undefined;
      await new Promise((resolve) => setTimeout(resolve, 300));
      subscription.unsubscribe();
      expect(seen).to.deep.equal(['reconnecting', 'connecting', 'connected']);
      expect(connection.actor.getSnapshot().context.lastError?.name).to.equal('KafkaJSConnectionError');
    });
  });

  describe('partition actors', () => {
    it('lists one per assigned partition, and samples its progress (in flight, finished, committed)', async () => {
      const { driver, connection } = track(createConnection());
      await connection.connect();
      expect(connection.partitions.map(({ id, state }) => `${id}=${String(state)}`)).to.deep.equal([
        'partition:orders.placed/0=idle',
      ]);
      await driver.consumer.deliver('orders.placed', 0, [{ value: 'a' }, { value: 'b' }]);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const [partition] = connection.partitions;
      expect(partition.state).to.equal('idle');
      expect(partition.context).to.deep.include({ inFlight: 0, committedOffset: '2' });
      expect(partition.context.sampledAt).to.be.a('number');
    });
  });

  describe('committing', () => {
    it('commits what the batch resolved, in the background, after the batch returns', async () => {
      const { driver, connection } = track(createConnection());
      await connection.connect();
      await driver.consumer.deliver('orders.placed', 0, [{ value: 'a' }, { value: 'b' }]);
      await settle();
      expect(driver.consumer.committed.get('orders.placed/0')).to.equal('2');
    });
  });

  describe('.close()', () => {
    it('stops dispatching (dispatchMode drain) before waiting for in-flight work, and reports no timeout', async () => {
      const { connection, steps } = track(createConnection());
      await connection.connect();
      expect(connection.dispatchMode).to.equal('running');
      const drained = await connection.close('drain', 10_000);
      expect(drained).to.deep.equal({ mode: 'drain', timedOut: false });
      expect(steps).to.deep.equal(['finish:drain']);
      expect(connection.dispatchMode).to.equal('drain');
      expect(connection.isServing).to.equal(false);
    });

    it('abandons in-flight work that outlives the deadline, and says so', async () => {
      let release!: () => void;
      const hung = new Promise<void>((resolve) => (release = resolve));
      const logger = new RecordingLogger();
      const { connection, steps } = track(createConnection({ finish: () => hung, logger }));
      await connection.connect();
      const closing = connection.close('drain', 20);
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(steps).to.deep.equal(['finish:drain', 'abandon:drain']);
      expect(connection.dispatchMode).to.equal('abandon');
      release();
      expect(await closing).to.deep.equal({ mode: 'abandon', timedOut: true });
      expect(logger.find('warn', 'drain deadline of 20 ms passed')).to.have.length(1);
      expect(connection.dispatchMode).to.equal('abandon');
      await connection.connect();
      expect(connection.dispatchMode).to.equal('running');
    });

    it('commits nothing more through the group it left: not while leaving, nor after connect() before a batch', async () => {
      const calls: string[] = [];
      let leaving = false;
      const driver = new FakeKafkaDriver();
      const connection = new KafkaConnection({
        driver,
        clientId: 'orders-server',
        logger: silentLogger,
        consumer: {
          groupId: 'orders',
          topics: ['orders.placed'],
          fromBeginning: true,
          eachBatch: async (batch: FetchedBatch) => {
            for (const message of batch.batch.messages) batch.resolveOffset(message.offset);
            // The group this batch came from, as the committer reaches it.
            const { uncommittedOffsets } = batch;
            batch.uncommittedOffsets = () => {
              calls.push(leaving ? 'after the final commit' : 'while a member');
              return uncommittedOffsets();
            };
          },
        },
      });
      track({ driver, connection, steps: [] });
      await connection.connect();
      await driver.consumer.deliver('orders.placed', 0, [{ value: 'a' }]);
      const disconnect = driver.consumer.disconnect.bind(driver.consumer);
      driver.consumer.disconnect = async () => {
        leaving = true;
        // kafkajs may announce a rebalance while it stops (its last fetch's heartbeat met one).
        driver.consumer.rebalance();
        await settle();
        await disconnect();
      };
      await connection.close('drain');
      expect(driver.consumer.committed.get('orders.placed/0')).to.equal('1');
      await connection.connect();
      driver.consumer.rebalance();
      await settle();
      expect(calls).to.not.include('after the final commit');
      expect(calls).to.include('while a member');
    });

    it('drains first, commits, then leaves the group and disconnects the producer, ending in stopped', async () => {
      const { driver, connection, steps } = track(createConnection());
      await connection.connect();
      await connection.close('drain');
      expect(steps).to.deep.equal(['finish:drain']);
      expect(driver.consumer.connected).to.equal(false);
      expect(driver.producer.connected).to.equal(false);
      expect(connection.state).to.equal('stopped');
    });
  });
  describe('the consumer’s own events, as observables', () => {
    it('emits each join with its assignment and generation, each commit and each skip, in order', async () => {
      const { driver, connection } = createConnection();
      open.push(connection);
      const seen: string[] = [];
      connection.joins$.subscribe((join) =>
        seen.push(`join gen ${join.generationId} ${JSON.stringify(join.assignment)} ${join.memberId}`),
      );
      connection.commits$.subscribe((offsets) => seen.push(`commit ${JSON.stringify(offsets.topics)}`));
      connection.skips$.subscribe(({ topic, partition, lastOffset }) =>
        seen.push(`skip ${topic}/${partition} to ${lastOffset}`),
      );
      await connection.connect();
      driver.consumer.rebalance({ 'orders.placed': [0, 1] });
      driver.consumer.skip('orders.placed', 1, '41');
      await driver.consumer.commitOffsets([{ topic: 'orders.placed', partition: 1, offset: '42' }]);
      await settle();
      expect(seen).to.deep.equal([
        `join gen 1 {"orders.placed":[0]} ${driver.consumer.memberId}`,
        `join gen 2 {"orders.placed":[0,1]} ${driver.consumer.memberId}`,
        'skip orders.placed/1 to 41',
        'commit [{"topic":"orders.placed","partitions":[{"partition":1,"offset":"42"}]}]',
      ]);
    });

    it('completes them when the connection is disposed', async () => {
      const { connection } = createConnection();
      let completed = 0;
      const onComplete = { complete: () => (completed += 1) };
      connection.joins$.subscribe(onComplete);
      connection.commits$.subscribe(onComplete);
      connection.skips$.subscribe(onComplete);
      await connection.connect();
      await connection.close();
      connection.dispose();
      expect(completed).to.equal(3);
    });
  });
});
