import { expect } from 'chai';
import { RxKafkaError } from '../../../lib/errors';
import {
  DEFAULT_FETCH_MAX_WAIT_MS,
  PLATFORMATIC_GROUP_PROTOCOLS,
  toPlatformaticBaseOptions,
  toPlatformaticCompression,
  toPlatformaticConsumerOptions,
  toPlatformaticProducerOptions,
  toPlatformaticRunOptions,
} from '../../../lib/kafka/platformatic/platformatic-options';

function invalidOption(work: () => unknown): RxKafkaError {
  try {
    work();
  } catch (error) {
    if (RxKafkaError.isRxKafkaError(error) && error.code === 'RXK_INVALID_OPTIONS') return error;
    throw error;
  }
  throw new Error('expected RXK_INVALID_OPTIONS');
}

describe('platformatic options', () => {
  describe('toPlatformaticBaseOptions()', () => {
    it('maps brokers, clientId, timeouts, retries, ssl and sasl to their @platformatic/kafka names', () => {
      const options = toPlatformaticBaseOptions({
        clientId: 'orders',
        brokers: ['a:9092', 'b:9092'],
        connectionTimeout: 3000,
        requestTimeout: 20000,
        retry: { retries: 4, initialRetryTime: 250 },
        ssl: { rejectUnauthorized: false },
        sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
      });
      expect(options).to.deep.equal({
        clientId: 'orders',
        bootstrapBrokers: ['a:9092', 'b:9092'],
        connectTimeout: 3000,
        requestTimeout: 20000,
        retries: 4,
        retryDelay: 250,
        tls: { rejectUnauthorized: false },
        sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' },
      });
    });

    it('doubles the retry delay from initialRetryTime up to maxRetryTime, as kafkajs does', () => {
      const { retryDelay } = toPlatformaticBaseOptions({
        clientId: 'c',
        brokers: ['a:1'],
        retry: { retries: 60, initialRetryTime: 200, maxRetryTime: 2_000 },
      });
      expect(retryDelay).to.be.a('function');
      const delays = [1, 2, 3, 4, 5, 6, 30].map((attempt) =>
        (retryDelay as (client: unknown, operationId: string, attempt: number) => number)({}, 'op', attempt),
      );
      expect(delays).to.deep.equal([200, 400, 800, 1_600, 2_000, 2_000, 2_000]);
    });

    it('leaves out what the user did not set, so @platformatic/kafka keeps its defaults', () => {
      const options = toPlatformaticBaseOptions({ clientId: 'orders', brokers: ['a:9092'], ssl: undefined });
      expect(options).to.deep.equal({ clientId: 'orders', bootstrapBrokers: ['a:9092'] });
      expect(Object.keys(options)).to.not.include('tls');
    });

    it('turns ssl: true into TLS with Node defaults', () => {
      expect(toPlatformaticBaseOptions({ clientId: 'c', brokers: ['a:1'], ssl: true }).tls).to.deep.equal({});
    });

    it("asks kafkajs's oauthbearer provider for the token value", async () => {
      const options = toPlatformaticBaseOptions({
        clientId: 'c',
        brokers: ['a:1'],
        sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: 'token-1' }) },
      });
      expect(options.sasl?.mechanism).to.equal('OAUTHBEARER');
      expect(await options.sasl?.token?.()).to.equal('token-1');
    });

    it('refuses every option without an equivalent, naming each', () => {
      const error = invalidOption(() =>
        toPlatformaticBaseOptions({
          clientId: 'c',
          brokers: ['a:1'],
          logLevel: 4,
          socketFactory: () => undefined,
          retry: { retries: 2, factor: 0.5 },
        }),
      );
      expect(error.message).to.contain('client.logLevel');
      expect(error.message).to.contain('client.socketFactory');
      expect(error.message).to.contain('client.retry.factor');
      expect(error.message).to.contain("driver 'kafkajs'");
    });

    it('refuses a brokers function and the aws mechanism', () => {
      expect(
        invalidOption(() => toPlatformaticBaseOptions({ clientId: 'c', brokers: () => ['a:1'] })).message,
      ).to.contain('client.brokers (a function)');
      expect(
        invalidOption(() =>
          toPlatformaticBaseOptions({ clientId: 'c', brokers: ['a:1'], sasl: { mechanism: 'aws' } }),
        ).message,
      ).to.contain("client.sasl.mechanism 'aws'");
    });

    it('refuses a sasl key its mechanism does not read, naming it', () => {
      const error = invalidOption(() =>
        toPlatformaticBaseOptions({
          clientId: 'c',
          brokers: ['a:1'],
          sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p', authorizationIdentity: 'x' },
        }),
      );
      expect(error.message).to.contain('client.sasl.authorizationIdentity');
      expect(error.message).not.to.contain("'p'");
      expect(error.context.path).to.equal('client.sasl.authorizationIdentity');
    });
  });

  describe('toPlatformaticConsumerOptions()', () => {
    it('maps group and fetch settings; waits 500 ms on an idle fetch and asks 1 MB a partition unless told otherwise', () => {
      expect(
        toPlatformaticConsumerOptions({
          groupId: 'g',
          sessionTimeout: 10000,
          heartbeatInterval: 1000,
          maxBytes: 1024,
          readUncommitted: true,
        }),
      ).to.deep.equal({
        maxWaitTime: DEFAULT_FETCH_MAX_WAIT_MS,
        maxBytesPerPartition: 1_048_576,
        protocols: PLATFORMATIC_GROUP_PROTOCOLS,
        sessionTimeout: 10000,
        heartbeatInterval: 1000,
        maxBytes: 1024,
        isolationLevel: 0,
      });
      expect(toPlatformaticConsumerOptions({ maxWaitTimeInMs: 100 }).maxWaitTime).to.equal(100);
      expect(toPlatformaticConsumerOptions({ maxBytesPerPartition: 2048 }).maxBytesPerPartition).to.equal(
        2048,
      );
    });

    it("offers kafkajs's RoundRobinAssigner first, then its own roundrobin, so a group may mix the drivers", () => {
      expect(toPlatformaticConsumerOptions({}).protocols).to.deep.equal([
        { name: 'RoundRobinAssigner', version: 0 },
        { name: 'roundrobin', version: 1 },
      ]);
    });

    it('refuses kafkajs partition assigners and rack ids', () => {
      const error = invalidOption(() =>
        toPlatformaticConsumerOptions({ partitionAssigners: [() => undefined], rackId: 'r1' }),
      );
      expect(error.message).to.contain('consumer.partitionAssigners');
      expect(error.message).to.contain('consumer.rackId');
    });
  });

  describe('toPlatformaticRunOptions()', () => {
    it('reads the partition concurrency and accepts the commit settings rxkafka reads itself', () => {
      expect(
        toPlatformaticRunOptions({
          partitionsConsumedConcurrently: 4,
          autoCommit: false,
          autoCommitInterval: 100,
        }),
      ).to.deep.equal({ partitionsConsumedConcurrently: 4 });
      expect(toPlatformaticRunOptions({})).to.deep.equal({ partitionsConsumedConcurrently: 1 });
    });

    it('refuses unknown run settings', () => {
      expect(invalidOption(() => toPlatformaticRunOptions({ restartOnFailure: true })).message).to.contain(
        'run.restartOnFailure',
      );
    });
  });

  describe('toPlatformaticProducerOptions()', () => {
    it('maps idempotence and refuses transactions and custom partitioners by name', () => {
      expect(toPlatformaticProducerOptions({ idempotent: true })).to.deep.equal({ idempotent: true });
      const error = invalidOption(() =>
        toPlatformaticProducerOptions({ transactionalId: 't', createPartitioner: () => () => 0 }),
      );
      expect(error.message).to.contain('producer.transactionalId');
      expect(error.message).to.contain('producer.createPartitioner');
    });
  });

  describe('toPlatformaticCompression()', () => {
    it('names kafkajs CompressionTypes numbers and refuses others', () => {
      expect([0, 1, 2, 3, 4].map(toPlatformaticCompression)).to.deep.equal([
        'none',
        'gzip',
        'snappy',
        'lz4',
        'zstd',
      ]);
      expect(toPlatformaticCompression(undefined)).to.equal(undefined);
      expect(invalidOption(() => toPlatformaticCompression(9)).context.path).to.equal('send.compression');
    });
  });
});
