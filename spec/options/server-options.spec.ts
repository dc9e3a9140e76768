import { expect } from 'chai';
import { ServerKafka, Transport, type KafkaOptions } from '@nestjs/microservices';
import { DEFAULT_SERVER_OPTIONS, resolveServerOptions, type KafkaServerOptions } from '../../lib/options';
import { DEFAULT_RETRY_POLICY } from '../../lib/handlers/retry-policy';
import { catchInvalidOption, deepFreeze, unchecked } from './option-fixtures';

describe('resolveServerOptions()', () => {
  describe('defaults', () => {
    const resolved = resolveServerOptions();

    it('gives up a reply to a topic that never took a write after 5 s by default', () => {
      expect(DEFAULT_SERVER_OPTIONS.replyTimeoutMs).to.equal(5_000);
      expect(resolved.replyTimeoutMs).to.equal(5_000);
      expect(resolveServerOptions({ replyTimeoutMs: 0 }).replyTimeoutMs).to.equal(0);
    });

    it('applies DEFAULT_SERVER_OPTIONS', () => {
      expect(resolved).to.include({
        postfixId: DEFAULT_SERVER_OPTIONS.postfixId,
        partitionConcurrency: DEFAULT_SERVER_OPTIONS.partitionConcurrency,
        ordering: DEFAULT_SERVER_OPTIONS.ordering,
        maxInFlightPerPartition: DEFAULT_SERVER_OPTIONS.maxInFlightPerPartition,
        drainTimeoutMs: DEFAULT_SERVER_OPTIONS.drainTimeoutMs,
        handlerTimeoutMs: DEFAULT_SERVER_OPTIONS.handlerTimeoutMs,
      });
      expect(resolved.retry).to.deep.equal(DEFAULT_RETRY_POLICY);
    });

    it("states the documented values: '-server', 16 partitions, partition order, 64 in flight, 30 s drain, no cut-off", () => {
      expect(DEFAULT_SERVER_OPTIONS).to.deep.include({
        postfixId: '-server',
        partitionConcurrency: 16,
        ordering: 'partition',
        maxInFlightPerPartition: 64,
        drainTimeoutMs: 30_000,
        handlerTimeoutMs: 60_000,
        client: { brokers: ['localhost:9092'], clientId: 'nestjs-consumer' },
        consumer: { groupId: 'nestjs-group' },
      });
    });

    it("runs the consumer with partitionConcurrency, not kafkajs's one partition at a time", () => {
      expect(resolved.runConfig).to.deep.equal({ partitionsConsumedConcurrently: 16 });
    });

    it('is frozen all the way down', () => {
      expect(() => {
        (DEFAULT_SERVER_OPTIONS as { ordering: string }).ordering = 'key';
      }).to.throw(TypeError);
      expect(() => (DEFAULT_SERVER_OPTIONS.client.brokers as unknown as string[]).push('x:1')).to.throw(
        TypeError,
      );
      expect(Object.isFrozen(DEFAULT_SERVER_OPTIONS.retry)).to.equal(true);
    });
  });

  describe('partitionConcurrency', () => {
    it("takes NestJS's run.partitionsConsumedConcurrently when partitionConcurrency is absent", () => {
      const resolved = resolveServerOptions({ run: { partitionsConsumedConcurrently: 3 } });
      expect(resolved.partitionConcurrency).to.equal(3);
      expect(resolved.runConfig.partitionsConsumedConcurrently).to.equal(3);
    });

    it('puts partitionConcurrency into the run config', () => {
      expect(
        resolveServerOptions({ partitionConcurrency: 4 }).runConfig.partitionsConsumedConcurrently,
      ).to.equal(4);
    });

    it('accepts both names when they agree', () => {
      expect(
        resolveServerOptions({ partitionConcurrency: 5, run: { partitionsConsumedConcurrently: 5 } })
          .partitionConcurrency,
      ).to.equal(5);
    });

    it('rejects both names when they disagree', () => {
      const error = catchInvalidOption(() =>
        resolveServerOptions({ partitionConcurrency: 2, run: { partitionsConsumedConcurrently: 8 } }),
      );
      expect(error.context.path).to.equal('partitionConcurrency');
      expect(error.message).to.include('contradicts run.partitionsConsumedConcurrently (8)');
      expect(error.message).to.include('set only one of them');
    });
  });

  describe('server options', () => {
    it('resolves each given value', () => {
      const resolved = resolveServerOptions({
        ordering: 'key',
        maxInFlightPerPartition: 8,
        drainTimeoutMs: 0,
        handlerTimeoutMs: 60_000,
        retry: { attempts: 1 },
      });
      expect(resolved).to.include({
        ordering: 'key',
        maxInFlightPerPartition: 8,
        drainTimeoutMs: 0,
        handlerTimeoutMs: 60_000,
      });
      expect(resolved.retry).to.deep.equal({ ...DEFAULT_RETRY_POLICY, attempts: 1 });
    });

    it('treats an explicit undefined in retry as absent', () => {
      expect(resolveServerOptions({ retry: { attempts: undefined, backoffMs: 50 } }).retry).to.deep.equal({
        ...DEFAULT_RETRY_POLICY,
        backoffMs: 50,
      });
    });

    it('accepts run.autoCommit: false, after which rxkafka leaves committing to the handlers', () => {
      expect(resolveServerOptions({ run: { autoCommit: false } }).runConfig).to.deep.equal({
        autoCommit: false,
        partitionsConsumedConcurrently: 16,
      });
    });

    const cases: ReadonlyArray<{ options: unknown; path: string; fragment: string }> = [
      {
        options: { partitionConcurrency: 0 },
        path: 'partitionConcurrency',
        fragment: 'at least 1, got 0: e.g. partitionConcurrency: 16',
      },
      { options: { partitionConcurrency: 2.5 }, path: 'partitionConcurrency', fragment: 'got 2.5' },
      { options: { maxInFlightPerPartition: -1 }, path: 'maxInFlightPerPartition', fragment: 'got -1' },
      { options: { drainTimeoutMs: -1 }, path: 'drainTimeoutMs', fragment: 'use 0 for no deadline' },
      {
        options: { drainTimeoutMs: Number.POSITIVE_INFINITY },
        path: 'drainTimeoutMs',
        fragment: 'got Infinity',
      },
      { options: { drainTimeoutMs: 2 ** 31 }, path: 'drainTimeoutMs', fragment: 'from 0 to 2147483647' },
      { options: { handlerTimeoutMs: '1s' }, path: 'handlerTimeoutMs', fragment: 'use 0 for no cut-off' },
      {
        options: { replyTimeoutMs: -1 },
        path: 'replyTimeoutMs',
        fragment: "use 0 for kafkajs's own retries",
      },
      { options: { replyTimeoutMs: 1.5 }, path: 'replyTimeoutMs', fragment: 'got 1.5' },
      {
        options: { ordering: 'offset' },
        path: 'ordering',
        fragment: "must be 'partition' or 'key', got \"offset\"",
      },
      { options: { retry: 3 }, path: 'retry', fragment: 'must be an object, got 3' },
      { options: { retry: { attempts: 0 } }, path: 'retry.attempts', fragment: 'at least 1, got 0' },
      { options: { retry: { backoffMs: -5 } }, path: 'retry.backoffMs', fragment: 'got -5' },
      {
        options: { retry: { maxBackofMs: 10 } },
        path: 'retry.maxBackofMs',
        fragment: "did you mean 'maxBackoffMs'?",
      },
      {
        options: { partitionConcurency: 4 },
        path: 'partitionConcurency',
        fragment: "did you mean 'partitionConcurrency'?",
      },
      {
        options: { producerOnlyMode: true },
        path: 'producerOnlyMode',
        fragment: 'it is a client option (KafkaClientOptions)',
      },
      {
        options: { requestTimeoutMs: 5000 },
        path: 'requestTimeoutMs',
        fragment: 'which a KafkaServer does not use',
      },
    ];

    for (const { options, path, fragment } of cases) {
      it(`rejects ${JSON.stringify(options)} at ${path}`, () => {
        const error = catchInvalidOption(() => resolveServerOptions(unchecked<KafkaServerOptions>(options)));
        expect(error.context.path).to.equal(path);
        expect(error.message).to.include(fragment);
      });
    }

    it('rejects a backoff above the maximum backoff, blaming the one that was given', () => {
      const both = catchInvalidOption(() =>
        resolveServerOptions({ retry: { backoffMs: 500, maxBackoffMs: 100 } }),
      );
      expect(both.context.path).to.equal('retry.maxBackoffMs');
      expect(both.message).to.include('retry.backoffMs (500) must not exceed retry.maxBackoffMs (100)');
      const onlyBackoff = catchInvalidOption(() => resolveServerOptions({ retry: { backoffMs: 10_000 } }));
      expect(onlyBackoff.context.path).to.equal('retry.backoffMs');
      expect(onlyBackoff.message).to.include('(5000, the default)');
    });

    it('never writes into the options and freezes the retry policy it builds', () => {
      const options = deepFreeze<KafkaServerOptions>({
        retry: { attempts: 2 },
        ordering: 'key',
        run: { autoCommit: true },
      });
      const resolved = resolveServerOptions(options);
      expect(options).to.deep.equal({ retry: { attempts: 2 }, ordering: 'key', run: { autoCommit: true } });
      expect(() => {
        (resolved.retry as { attempts: number }).attempts = 9;
      }).to.throw(TypeError);
      expect(() => {
        (resolved.runConfig as { autoCommit: boolean }).autoCommit = false;
      }).to.throw(TypeError);
    });
  });

  describe('with the options of a NestJS app', () => {
    // As in NestJS's docs: main.ts calls app.connectMicroservice(microservice) or createMicroservice(AppModule, microservice).
    const microservice: KafkaOptions = {
      transport: Transport.KAFKA,
      options: {
        client: {
          clientId: 'hero',
          brokers: ['kafka-1:9092', 'kafka-2:9092'],
          ssl: true,
          sasl: { mechanism: 'plain', username: 'u', password: 'p' },
        },
        consumer: { groupId: 'hero-consumer', sessionTimeout: 45_000, allowAutoTopicCreation: true },
        run: { autoCommit: false },
        subscribe: { fromBeginning: true },
        producer: { allowAutoTopicCreation: true },
        send: { acks: 1, timeout: 10_000 },
        parser: { keepBinary: true },
      },
    };

    it('accepts its options object unchanged', () => {
      const options = deepFreeze(structuredClone(microservice.options));
      expect(() => resolveServerOptions(options)).not.to.throw();
      expect(options).to.deep.equal(microservice.options);
    });

    it('computes the clientId, groupId and brokers of the real ServerKafka', () => {
      const resolved = resolveServerOptions(microservice.options);
      const nest = new ServerKafka(structuredClone(microservice.options ?? {})) as unknown as Record<
        string,
        unknown
      >;
      expect(resolved.clientId).to.equal(nest.clientId).and.to.equal('hero-server');
      expect(resolved.groupId).to.equal(nest.groupId).and.to.equal('hero-consumer-server');
      expect(resolved.brokers).to.deep.equal(nest.brokers);
    });

    it('rejects the whole { transport, options } object, pointing at its options property', () => {
      const error = catchInvalidOption(() =>
        resolveServerOptions(unchecked<KafkaServerOptions>(microservice)),
      );
      expect(error.context.path).to.equal('options');
      expect(error.message).to.include('pass its `options` property instead');
    });
  });

  describe('exactlyOnce', () => {
    it('defaults to a group of its own, named after the server’s, which is also the transactional id prefix', () => {
      const resolved = resolveServerOptions({ consumer: { groupId: 'billing' } });
      expect(resolved.exactlyOnce).to.deep.equal({
        groupId: 'billing-server.exactly-once',
        transactionalIdPrefix: 'billing-server.exactly-once',
        maxBatchRecords: 500,
      });
    });

    it('takes a group, a prefix and a batch size', () => {
      const exactlyOnce = {
        groupId: 'billing-eos',
        transactionalIdPrefix: 'billing-tx',
        maxBatchRecords: 50,
      };
      expect(resolveServerOptions({ exactlyOnce }).exactlyOnce).to.deep.equal(exactlyOnce);
    });

    it('rejects the server’s own group id', () => {
      const error = catchInvalidOption(() =>
        resolveServerOptions({
          consumer: { groupId: 'billing' },
          exactlyOnce: { groupId: 'billing-server' },
        }),
      );
      expect(error.context.path).to.equal('exactlyOnce.groupId');
      expect(error.message).to.include('must differ from the server');
    });

    it('names an unknown key and an empty prefix', () => {
      expect(
        catchInvalidOption(() => resolveServerOptions({ exactlyOnce: unchecked({ transactionalId: 'x' }) }))
          .context.path,
      ).to.equal('exactlyOnce.transactionalId');
      expect(
        catchInvalidOption(() => resolveServerOptions({ exactlyOnce: { transactionalIdPrefix: '' } })).context
          .path,
      ).to.equal('exactlyOnce.transactionalIdPrefix');
    });
  });
});
