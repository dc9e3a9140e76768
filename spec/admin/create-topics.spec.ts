import { expect } from 'chai';
import { createTopics } from '../../lib/admin/create-topics';
import type { CreateTopicsOptions } from '../../lib/admin/create-topics-options';
import { RxKafkaError } from '../../lib/errors';
import { silentLogger } from '../../lib/logger';
import { findFreePort } from '../../lib/testing/free-port';

/** The error `createTopics(options)` rejects with (the spec fails if it resolves). */
async function rejectionOf(options: unknown): Promise<RxKafkaError> {
  const outcome = await createTopics(options as CreateTopicsOptions).then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!RxKafkaError.isRxKafkaError(outcome)) {
    throw new Error(`expected an RxKafkaError, got ${String(outcome)}`);
  }
  return outcome;
}

describe('createTopics()', () => {
  context('with bad input (rejected before any connection)', () => {
    // The brokers point nowhere: were a case to get past validation, it would fail differently.
    const client = { brokers: ['127.0.0.1:1'], retry: { retries: 0 } };
    const cases: ReadonlyArray<{ name: string; options: unknown; path: string; fragment: string }> = [
      { name: 'no options', options: undefined, path: '(root)', fragment: 'pass a CreateTopicsOptions' },
      { name: 'no topics', options: { client }, path: 'topics', fragment: 'a non-empty array' },
      {
        name: 'an empty topics array',
        options: { client, topics: [] },
        path: 'topics',
        fragment: 'got an empty array',
      },
      {
        name: 'a topic given as a string',
        options: { client, topics: ['orders'] },
        path: 'topics[0]',
        fragment: 'must be an object { topic, numPartitions? }, got "orders"',
      },
      {
        name: 'a topic without a name',
        options: { client, topics: [{ numPartitions: 2 }] },
        path: 'topics[0].topic',
        fragment: 'got undefined',
      },
      {
        name: 'a topic name Kafka refuses',
        options: { client, topics: [{ topic: 'orders and more' }] },
        path: 'topics[0].topic',
        fragment: "letters, digits, '.', '_' and '-'",
      },
      {
        name: 'the same topic twice',
        options: { client, topics: [{ topic: 'orders' }, { topic: 'orders' }] },
        path: 'topics[1].topic',
        fragment: "topic 'orders' is named twice",
      },
      {
        name: 'a partition count of 0',
        options: { client, topics: [{ topic: 'orders', numPartitions: 0 }] },
        path: 'topics[0].numPartitions',
        fragment: 'must be a whole number of at least 1, got 0: e.g. numPartitions: 3',
      },
      {
        name: 'a fractional partition count',
        options: { client, topics: [{ topic: 'orders', numPartitions: 1.5 }] },
        path: 'topics[0].numPartitions',
        fragment: 'got 1.5',
      },
      {
        name: 'a partition count given as text',
        options: { client, topics: [{ topic: 'orders', numPartitions: '3' }] },
        path: 'topics[0].numPartitions',
        fragment: 'got "3"',
      },
      {
        name: 'a replication factor of -1',
        options: { client, topics: [{ topic: 'orders', replicationFactor: -1 }] },
        path: 'topics[0].replicationFactor',
        fragment: 'got -1',
      },
      {
        name: 'a misspelt topic field',
        options: { client, topics: [{ topic: 'orders', partitions: 3 }] },
        path: 'topics[0].partitions',
        fragment: "did you mean 'numPartitions'?",
      },
      {
        name: 'a config value that is not text',
        options: { client, topics: [{ topic: 'orders', configs: { 'retention.ms': 1000 } }] },
        path: 'topics[0].configs.retention.ms',
        fragment: 'must be a string',
      },
      {
        name: 'brokers given as one string',
        options: { client: { brokers: 'localhost:9092' }, topics: [{ topic: 'orders' }] },
        path: 'client.brokers',
        fragment: "non-empty array of 'host:port'",
      },
      {
        name: 'a negative timeout',
        options: { client, topics: [{ topic: 'orders' }], timeoutMs: -1 },
        path: 'timeoutMs',
        fragment: 'got -1',
      },
      {
        name: 'an unknown option',
        options: { client, topics: [{ topic: 'orders' }], brokers: ['localhost:9092'] },
        path: 'brokers',
        fragment: "unknown option 'brokers'",
      },
    ];
    for (const { name, options, path, fragment } of cases) {
      it(`fails with RXK_INVALID_OPTIONS at ${path} for ${name}`, async () => {
        const error = await rejectionOf(options);
        expect(error.code).to.equal('RXK_INVALID_OPTIONS');
        expect(error.context.path).to.equal(path);
        expect(error.message).to.include(fragment);
        expect(error.retriable).to.equal(false);
      });
    }

    it('never writes into the caller’s options', async () => {
      const topics = Object.freeze([Object.freeze({ topic: 'orders', numPartitions: 0 })]);
      const options = Object.freeze({ client: Object.freeze({ ...client }), topics });
      const error = await rejectionOf(options);
      expect(error.code).to.equal('RXK_INVALID_OPTIONS');
    });
  });

  context('when no broker answers', () => {
    it('fails with a retriable RXK_BROKER_UNREACHABLE that names the brokers and the fix', async function () {
      this.timeout(30_000);
      const port = await findFreePort();
      const error = await rejectionOf({
        client: { brokers: [`127.0.0.1:${port}`], retry: { retries: 0 }, connectionTimeout: 1_000 },
        topics: [{ topic: 'orders' }],
        logger: silentLogger,
      });
      expect(error.code).to.equal('RXK_BROKER_UNREACHABLE');
      expect(error.retriable).to.equal(true);
      expect(error.message).to.include(`127.0.0.1:${port}`);
      expect(error.message).to.include('orders');
      expect(error.message).to.include('client.brokers');
      expect(error.cause).to.be.instanceOf(Error);
    });

    it('gives up after three retries unless client.retry says otherwise (kafkajs alone takes about 12 s)', async function () {
      this.timeout(30_000);
      const port = await findFreePort();
      const started = Date.now();
      const error = await rejectionOf({
        client: { brokers: [`127.0.0.1:${port}`] },
        topics: [{ topic: 'orders' }],
        logger: silentLogger,
      });
      expect(error.code).to.equal('RXK_BROKER_UNREACHABLE');
      expect(Date.now() - started).to.be.below(10_000);
    });
  });
});
