import { expect } from 'chai';
import { KafkaJSConnectionError, type ConsumerRunConfig } from 'kafkajs';
import { NotAuthorizedError, RxKafkaError } from '../../../lib/errors';
import type { FetchedBatch } from '../../../lib/kafka/fetched-batch';
import type { DriverConsumerEvent, DriverProducerEvent } from '../../../lib/kafka/kafka-driver';
import type { ProduceRequest } from '../../../lib/kafka/record-producer';
import { createFakeKafkajsDriver, createProtocolError, CONSUMER_EVENTS } from '../../support/fake-kafkajs';
import { RecordingLogger } from '../../support/recording-logger';

function lostConnection(): KafkaJSConnectionError {
  return new KafkaJSConnectionError('Connection error: socket closed', { broker: 'localhost:1' } as never);
}

async function rejectionOf(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function setUp(config: { sasl?: unknown } = {}) {
  return createFakeKafkajsDriver(new RecordingLogger(), config);
}

const eachBatch = async (_batch: FetchedBatch): Promise<void> => undefined;

describe('createKafkajsDriver()', () => {
  describe('.createConsumer()', () => {
    it("creates a kafkajs consumer of the group, with the user's settings and a 500 ms fetch wait", () => {
      const { driver, kafkajs } = setUp();
      driver.createConsumer({ groupId: 'heroes', librarySettings: { sessionTimeout: 45_000 } });
      expect(kafkajs.consumer.config).to.include({
        groupId: 'heroes',
        sessionTimeout: 45_000,
        maxWaitTimeInMs: 500,
      });
    });

    it("keeps the user's fetch wait", () => {
      const { driver, kafkajs } = setUp();
      driver.createConsumer({ groupId: 'heroes', librarySettings: { maxWaitTimeInMs: 50 } });
      expect(kafkajs.consumer.config.maxWaitTimeInMs).to.equal(50);
    });

    it('joins with the reply partition assigner when asked, unless the user brings assigners of their own', () => {
      const { driver, kafkajs } = setUp();
      const replyPartitions = { toPreviousAssignment: () => ({}) };
      driver.createConsumer({ groupId: 'replies', replyPartitions });
      const own = () => ({
        name: 'own',
        version: 1,
        assign: async () => [],
        protocol: () => ({ name: 'own', metadata: Buffer.alloc(0) }),
      });
      driver.createConsumer({
        groupId: 'replies',
        replyPartitions,
        librarySettings: { partitionAssigners: [own] },
      });
      driver.createConsumer({ groupId: 'plain' });
      const [withReply, withOwn, plain] = kafkajs.consumers;
      expect(withReply.config.partitionAssigners).to.have.length(1);
      expect(withReply.config.partitionAssigners?.[0]).to.be.a('function');
      expect(withOwn.config.partitionAssigners).to.deep.equal([own]);
      expect(plain.config).not.to.have.property('partitionAssigners');
    });
  });

  describe('a consumer', () => {
    describe('.consume()', () => {
      it('subscribes, reaches the group coordinator, then runs with the runtime resolving and committing offsets', async () => {
        const { driver, kafkajs } = setUp();
        const consumer = driver.createConsumer({ groupId: 'heroes' });
        await consumer.consume({
          topics: ['hero.killed', /^dragon\./],
          fromBeginning: true,
          librarySettings: {
            partitionsConsumedConcurrently: 4,
            autoCommit: true,
            eachBatchAutoResolve: true,
          },
          eachBatch,
        });
        const native = kafkajs.consumer;
        expect(native.calls.map((call) => call.method)).to.deep.equal(['subscribe', 'describeGroup', 'run']);
        expect(native.callsOf('subscribe')).to.deep.equal([
          [{ topics: ['hero.killed', /^dragon\./], fromBeginning: true }],
        ]);
        const [[run]] = native.callsOf('run') as [[ConsumerRunConfig]];
        expect(run).to.include({
          partitionsConsumedConcurrently: 4,
          autoCommit: false,
          eachBatchAutoResolve: false,
        });
        expect(run.eachBatch).to.equal(eachBatch);
      });

      it('subscribes again once when the first subscription meets a connection a disconnect() ended', async () => {
        const { driver, kafkajs } = setUp();
        const consumer = driver.createConsumer({ groupId: 'heroes' });
        kafkajs.consumer.fail('subscribe', lostConnection());
        await consumer.consume({ topics: ['hero.killed'], fromBeginning: false, eachBatch });
        expect(kafkajs.consumer.callsOf('subscribe')).to.have.length(2);
        expect(kafkajs.consumer.callsOf('run')).to.have.length(1);
      });

      it('fails with RXK_TOPIC_NOT_FOUND naming the subscribed topics the cluster lacks', async () => {
        const { driver, kafkajs } = setUp();
        kafkajs.topics.set('hero.killed', []);
        const consumer = driver.createConsumer({ groupId: 'heroes' });
        kafkajs.consumer.fail('subscribe', createProtocolError('UNKNOWN_TOPIC_OR_PARTITION', 3));
        const error = (await rejectionOf(
          consumer.consume({ topics: ['hero.killed', 'dragon.slain'], fromBeginning: false, eachBatch }),
        )) as RxKafkaError;
        expect(error.code).to.equal('RXK_TOPIC_NOT_FOUND');
        expect(error.context.topic).to.equal('dragon.slain');
        expect(error.message).to.include("topic 'dragon.slain' does not exist");
        expect(kafkajs.consumer.callsOf('run')).to.deep.equal([]);
      });

      it('names every subscribed topic as a suspect when the cluster cannot be asked which are missing', async () => {
        const { driver, kafkajs } = setUp();
        kafkajs.prepareAdmin = (admin) => admin.fail('listTopics', lostConnection());
        const consumer = driver.createConsumer({ groupId: 'heroes' });
        kafkajs.consumer.fail('subscribe', createProtocolError('UNKNOWN_TOPIC_OR_PARTITION', 3));
        const error = (await rejectionOf(
          consumer.consume({ topics: ['hero.killed', 'dragon.slain'], fromBeginning: false, eachBatch }),
        )) as RxKafkaError;
        expect(error.code).to.equal('RXK_TOPIC_NOT_FOUND');
        expect(error.message).to.include("one of the topics 'hero.killed', 'dragon.slain' does not exist");
      });

      it('fails with RXK_NOT_AUTHORIZED naming the group when the coordinator refuses it, without retrying', async () => {
        const { driver, kafkajs } = setUp({
          sasl: { mechanism: 'plain', username: 'alice', password: 'secret' },
        });
        const consumer = driver.createConsumer({ groupId: 'heroes' });
        kafkajs.consumer.fail('describeGroup', createProtocolError('GROUP_AUTHORIZATION_FAILED', 30));
        const error = await rejectionOf(
          consumer.consume({ topics: ['hero.killed'], fromBeginning: false, eachBatch }),
        );
        expect(error).to.be.instanceOf(NotAuthorizedError);
        expect(error).to.include({
          code: 'RXK_NOT_AUTHORIZED',
          resourceType: 'group',
          resourceName: 'heroes',
          principal: 'User:alice',
        });
        expect((error as Error).message).not.to.include('secret');
        expect(kafkajs.consumer.callsOf('describeGroup')).to.have.length(1);
        expect(kafkajs.consumer.callsOf('run')).to.deep.equal([]);
      });
    });

    describe('.connect()', () => {
      it('connects the kafkajs consumer', async () => {
        const { driver, kafkajs } = setUp();
        await driver.createConsumer({ groupId: 'heroes' }).connect();
        expect(kafkajs.consumer.callsOf('connect')).to.have.length(1);
      });

      it('fails with RXK_AUTHENTICATION_FAILED when the broker refuses the login', async () => {
        const { driver, kafkajs } = setUp({
          sasl: { mechanism: 'plain', username: 'alice', password: 'secret' },
        });
        const consumer = driver.createConsumer({ groupId: 'heroes' });
        const refused = Object.assign(
          new Error('SASL PLAIN authentication failed: Invalid username or password'),
          {
            name: 'KafkaJSSASLAuthenticationError',
          },
        );
        kafkajs.consumer.fail('connect', refused);
        const error = (await rejectionOf(consumer.connect())) as RxKafkaError;
        expect(error.code).to.equal('RXK_AUTHENTICATION_FAILED');
        expect(error.cause).to.equal(refused);
      });

      it('rethrows an error it does not recognise as it is', async () => {
        const { driver, kafkajs } = setUp();
        const consumer = driver.createConsumer({ groupId: 'heroes' });
        const odd = new Error('something else');
        kafkajs.consumer.fail('connect', odd);
        expect(await rejectionOf(consumer.connect())).to.equal(odd);
      });
    });

    it('seeks, commits and disconnects through the kafkajs consumer', async () => {
      const { driver, kafkajs } = setUp();
      const consumer = driver.createConsumer({ groupId: 'heroes' });
      consumer.seek('hero.killed', 2, '17');
      const offsets = [{ topic: 'hero.killed', partition: 2, offset: '18' }];
      await consumer.commitOffsets(offsets);
      await consumer.disconnect();
      expect(kafkajs.consumer.calls).to.deep.equal([
        { method: 'seek', args: [{ topic: 'hero.killed', partition: 2, offset: '17' }] },
        { method: 'commitOffsets', args: [offsets] },
        { method: 'disconnect', args: [] },
      ]);
      expect(kafkajs.consumer.callsOf('commitOffsets')[0][0]).not.to.equal(offsets);
    });

    describe('.onEvent()', () => {
      function listen() {
        const { driver, kafkajs } = setUp();
        const consumer = driver.createConsumer({ groupId: 'heroes' });
        const events: DriverConsumerEvent[] = [];
        const stop = consumer.onEvent((event) => events.push(event));
        return { native: kafkajs.consumer, events, stop };
      }

      it('reports a group join with the member id and its assignment', () => {
        const { native, events } = listen();
        native.emit(CONSUMER_EVENTS.GROUP_JOIN, {
          groupId: 'heroes',
          memberId: 'member-1',
          leaderId: 'member-1',
          isLeader: true,
          memberAssignment: { 'hero.killed': [0, 2] },
          groupProtocol: 'RoundRobinAssigner',
          duration: 12,
        });
        expect(events).to.have.length(1);
        expect(events[0]).to.include({ type: 'group.joined', memberId: 'member-1' });
        expect(events[0]).to.have.deep.property('assignment', { 'hero.killed': [0, 2] });
      });

      it('reports a rebalance and a crash with whether kafkajs restarts by itself', () => {
        const { native, events } = listen();
        const failure = new Error('coordinator gone');
        native.emit(CONSUMER_EVENTS.REBALANCING, { groupId: 'heroes', memberId: 'member-1' });
        native.emit(CONSUMER_EVENTS.CRASH, { error: failure, groupId: 'heroes', restart: false });
        expect(events).to.deep.equal([
          { type: 'rebalancing' },
          { type: 'crashed', error: failure, restart: false },
        ]);
      });

      it('reports committed offsets with numeric partitions', () => {
        const { native, events } = listen();
        native.emit(CONSUMER_EVENTS.COMMIT_OFFSETS, {
          groupId: 'heroes',
          memberId: 'member-1',
          groupGenerationId: 3,
          topics: [{ topic: 'hero.killed', partitions: [{ partition: '2', offset: '18' }] }],
        });
        expect(events).to.deep.equal([
          // The commit also tells the member's generation (kafkajs's join event does not carry it).
          { type: 'group.generation', memberId: 'member-1', generationId: 3 },
          {
            type: 'offsets.committed',
            offsets: { topics: [{ topic: 'hero.killed', partitions: [{ partition: 2, offset: '18' }] }] },
          },
        ]);
      });

      it('reports a fetch of only control or aborted records as skipped, and ignores other batches', () => {
        const { native, events } = listen();
        const batch = {
          topic: 'hero.killed',
          partition: 1,
          highWatermark: '10',
          offsetLag: '0',
          offsetLagLow: '0',
          firstOffset: '7',
        };
        native.emit(CONSUMER_EVENTS.START_BATCH_PROCESS, { ...batch, batchSize: 3, lastOffset: '9' });
        native.emit(CONSUMER_EVENTS.START_BATCH_PROCESS, { ...batch, batchSize: 0, lastOffset: '9' });
        expect(events).to.deep.equal([
          { type: 'records.skipped', topic: 'hero.killed', partition: 1, lastOffset: '9' },
        ]);
      });

      it("ignores kafkajs's stop and disconnect events", () => {
        const { native, events } = listen();
        native.emit(CONSUMER_EVENTS.STOP, {});
        native.emit(CONSUMER_EVENTS.DISCONNECT, {});
        expect(events).to.deep.equal([]);
      });

      it('stops listening to every kafkajs event once its remover is called', () => {
        const { native, events, stop } = listen();
        // group join, rebalancing, batch start, crash, commit, heartbeat
        expect(native.listenerCount).to.equal(6);
        stop();
        expect(native.listenerCount).to.equal(0);
        native.emit(CONSUMER_EVENTS.REBALANCING, {});
        expect(events).to.deep.equal([]);
      });
    });
  });

  describe('a producer', () => {
    const request: ProduceRequest = { topicMessages: [{ topic: 'hero.killed', messages: [{ value: 'x' }] }] };

    it("creates a kafkajs producer with the user's settings and a partitioner that pins each record", () => {
      const { driver, kafkajs } = setUp();
      driver.createProducer({ librarySettings: { idempotent: true } });
      expect(kafkajs.producer.config).to.include({ idempotent: true });
      expect(kafkajs.producer.config.createPartitioner).to.be.a('function');
    });

    it('remembers the partition its partitioner chose for a record', () => {
      const { driver, kafkajs } = setUp();
      const producer = driver.createProducer({ librarySettings: { createPartitioner: () => () => 5 } });
      const record = { value: 'x' };
      expect(producer.partitionOf(record)).to.equal(undefined);
      const partition = kafkajs.producer.config.createPartitioner?.()({
        topic: 'hero.killed',
        partitionMetadata: [{ partitionId: 5, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }],
        message: record,
      });
      expect(partition).to.equal(5);
      expect(producer.partitionOf(record)).to.equal(5);
    });

    it("sends a batch as it is and answers with kafkajs's answer", async () => {
      const { driver, kafkajs } = setUp();
      const producer = driver.createProducer({});
      expect(await producer.sendBatch(request)).to.deep.equal(kafkajs.producer.answer);
      expect(kafkajs.producer.callsOf('sendBatch')).to.deep.equal([[request]]);
    });

    it('reports the producer lost when a send fails for want of a broker, and still rejects the send', async () => {
      const { driver, kafkajs } = setUp();
      const producer = driver.createProducer({});
      const events: DriverProducerEvent[] = [];
      producer.onEvent((event) => events.push(event));
      const lost = lostConnection();
      kafkajs.producer.fail('sendBatch', lost);
      expect(await rejectionOf(producer.sendBatch(request))).to.equal(lost);
      expect(events).to.deep.equal([{ type: 'lost', error: lost }]);
    });

    it('reports nothing for a send the brokers refused, nor once the listener is removed', async () => {
      const { driver, kafkajs } = setUp();
      const producer = driver.createProducer({});
      const events: DriverProducerEvent[] = [];
      const stop = producer.onEvent((event) => events.push(event));
      kafkajs.producer.fail('sendBatch', createProtocolError('MESSAGE_TOO_LARGE', 10));
      await rejectionOf(producer.sendBatch(request));
      stop();
      kafkajs.producer.fail('sendBatch', lostConnection());
      await rejectionOf(producer.sendBatch(request));
      expect(events).to.deep.equal([]);
    });

    it('fails with RXK_NOT_AUTHORIZED naming the topic when Kafka refuses the write', async () => {
      const { driver, kafkajs } = setUp();
      const producer = driver.createProducer({});
      // Kafka refuses every write (the topic itself may be described): the one resend is refused too.
      kafkajs.producer.fail('sendBatch', createProtocolError('TOPIC_AUTHORIZATION_FAILED', 29));
      kafkajs.producer.fail('sendBatch', createProtocolError('TOPIC_AUTHORIZATION_FAILED', 29));
      const error = await rejectionOf(producer.sendBatch(request));
      expect(error).to.be.instanceOf(NotAuthorizedError);
      expect(error).to.include({ resourceType: 'topic', resourceName: 'hero.killed' });
    });

    it('names the refused topic of a send to several, asking the cluster about each', async () => {
      const { driver, kafkajs } = setUp();
      kafkajs.refusedTopics.add('dragon.slain');
      const producer = driver.createProducer({});
      kafkajs.producer.fail('sendBatch', createProtocolError('TOPIC_AUTHORIZATION_FAILED', 29));
      const error = await rejectionOf(
        producer.sendBatch({
          topicMessages: [
            { topic: 'hero.killed', messages: [{ value: 'x' }] },
            { topic: 'dragon.slain', messages: [{ value: 'y' }] },
          ],
        }),
      );
      expect(error).to.be.instanceOf(NotAuthorizedError);
      expect(error).to.include({ resourceType: 'topic', resourceName: 'dragon.slain' });
    });

    it('fails to connect with RXK_NOT_AUTHORIZED when the cluster refuses an idempotent producer', async () => {
      const { driver, kafkajs } = setUp();
      const producer = driver.createProducer({});
      kafkajs.producer.fail('connect', createProtocolError('CLUSTER_AUTHORIZATION_FAILED', 31));
      const error = await rejectionOf(producer.connect());
      expect(error).to.be.instanceOf(NotAuthorizedError);
      expect(error).to.include({ resourceType: 'cluster' });
    });

    it('connects and disconnects the kafkajs producer', async () => {
      const { driver, kafkajs } = setUp();
      const producer = driver.createProducer({});
      await producer.connect();
      await producer.disconnect();
      expect(kafkajs.producer.calls.map((call) => call.method)).to.deep.equal(['connect', 'disconnect']);
    });
  });

  describe('admin requests', () => {
    function withTopic() {
      const setup = setUp();
      setup.kafkajs.topics.set('hero.killed', [
        { partition: 0, low: '3', high: '10', offset: '10' },
        { partition: 1, low: '0', high: '4', offset: '4' },
      ]);
      return setup;
    }

    it("answers a topic's end, start and by-time offsets, each on an admin it disconnects", async () => {
      const { driver, kafkajs } = withTopic();
      expect(await driver.fetchEndOffsets('hero.killed')).to.deep.equal([
        { partition: 0, high: '10' },
        { partition: 1, high: '4' },
      ]);
      expect(await driver.fetchStartOffsets('hero.killed')).to.deep.equal([
        { partition: 0, low: '3' },
        { partition: 1, low: '0' },
      ]);
      expect(await driver.fetchOffsetsAtTime('hero.killed', 1_700_000_000_000)).to.deep.equal([
        { partition: 0, offset: '10' },
        { partition: 1, offset: '4' },
      ]);
      expect(kafkajs.admins[2].callsOf('fetchTopicOffsetsByTimestamp')).to.deep.equal([
        ['hero.killed', 1_700_000_000_000],
      ]);
      for (const admin of kafkajs.admins) {
        expect(admin.calls[0].method).to.equal('connect');
        expect(admin.calls[admin.calls.length - 1].method).to.equal('disconnect');
      }
    });

    it("answers a group's committed offsets for a topic", async () => {
      const { driver, kafkajs } = withTopic();
      kafkajs.groupOffsets = [
        { topic: 'hero.killed', partitions: [{ partition: 0, offset: '7', metadata: null }] },
      ];
      expect(await driver.fetchCommittedOffsets('heroes', 'hero.killed')).to.deep.equal([
        { partition: 0, offset: '7' },
      ]);
      expect(kafkajs.admins[0].callsOf('fetchOffsets')).to.deep.equal([
        [{ groupId: 'heroes', topics: ['hero.killed'] }],
      ]);
    });

    it('deletes a group, and takes a group that never joined as deleted', async () => {
      const { driver, kafkajs } = withTopic();
      await driver.deleteGroup('replay-1');
      expect(kafkajs.admins[0].callsOf('deleteGroups')).to.deep.equal([[['replay-1']]]);
      kafkajs.prepareAdmin = (admin) =>
        admin.fail(
          'deleteGroups',
          Object.assign(new Error('deleteGroups failed'), {
            groups: [{ groupId: 'never', error: { type: 'GROUP_ID_NOT_FOUND' } }],
          }),
        );
      await driver.deleteGroup('never');
      expect(kafkajs.admins[1].callsOf('deleteGroups')).to.have.length(1);
    });

    it('creates a missing topic with its configs, and says when it existed already', async () => {
      const { driver, kafkajs } = withTopic();
      expect(await driver.createTopicIfMissing('hero.snapshots', { 'cleanup.policy': 'compact' })).to.equal(
        true,
      );
      const [[request]] = kafkajs.admins[0].callsOf('createTopics') as [[{ topics: unknown[] }]];
      expect(request.topics).to.deep.equal([
        {
          topic: 'hero.snapshots',
          numPartitions: 1,
          replicationFactor: -1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ]);
      expect(await driver.createTopicIfMissing('hero.killed', {})).to.equal(false);
      expect(kafkajs.admins[1].callsOf('createTopics')).to.deep.equal([]);
    });

    it("exposes kafkajs's client as native", () => {
      const { driver } = setUp();
      expect(driver.native).to.have.property('consumer').that.is.a('function');
    });
  });

  describe('.checkTransactionalIdAccess()', () => {
    it('connects a producer of an id no partition uses, fences with it, and disconnects it', async () => {
      const { driver, kafkajs } = setUp();
      await driver.checkTransactionalIdAccess?.('eos-heroes', { idempotent: true });
      expect(kafkajs.producer.config).to.include({ transactionalId: 'eos-heroes-*access-check' });
      expect(kafkajs.producer.calls.map((call) => call.method)).to.deep.equal([
        'connect',
        'transaction',
        'abort',
        'disconnect',
      ]);
    });

    it('takes a fencing by another member checking at the same moment as access granted', async () => {
      const { driver, kafkajs } = setUp();
      const checked = driver.checkTransactionalIdAccess?.('eos-heroes');
      kafkajs.producer.fail('transaction', createProtocolError('INVALID_PRODUCER_EPOCH', 47));
      await checked;
      expect(kafkajs.producer.callsOf('disconnect')).to.have.length(1);
    });

    it('fails with RXK_NOT_AUTHORIZED naming the id when the authorizer refuses it, and still disconnects', async () => {
      const { driver, kafkajs } = setUp();
      const checked = driver.checkTransactionalIdAccess?.('eos-heroes');
      kafkajs.producer.fail('transaction', createProtocolError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53));
      const error = await rejectionOf(Promise.resolve(checked));
      expect(error).to.be.instanceOf(NotAuthorizedError);
      expect(error).to.include({ resourceType: 'transactionalId', resourceName: 'eos-heroes-*access-check' });
      expect(kafkajs.producer.callsOf('disconnect')).to.have.length(1);
    });
  });
});
