import { expect } from 'chai';
import { ClientKafka, type KafkaOptions } from '@nestjs/microservices';
import { DEFAULT_CLIENT_OPTIONS, resolveClientOptions, type KafkaClientOptions } from '../../lib/options';
import { catchInvalidOption, deepFreeze, unchecked } from './option-fixtures';

describe('resolveClientOptions()', () => {
  describe('defaults', () => {
    it('applies DEFAULT_CLIENT_OPTIONS', () => {
      expect(resolveClientOptions()).to.include({
        postfixId: DEFAULT_CLIENT_OPTIONS.postfixId,
        producerOnlyMode: DEFAULT_CLIENT_OPTIONS.producerOnlyMode,
        requestTimeoutMs: DEFAULT_CLIENT_OPTIONS.requestTimeoutMs,
        maxPendingRequests: DEFAULT_CLIENT_OPTIONS.maxPendingRequests,
      });
    });

    it("states the documented values: '-client', a consumer, 30 s per request, 10000 pending", () => {
      expect(DEFAULT_CLIENT_OPTIONS).to.deep.include({
        postfixId: '-client',
        producerOnlyMode: false,
        requestTimeoutMs: 30_000,
        maxPendingRequests: 10_000,
        client: { brokers: ['localhost:9092'], clientId: 'nestjs-consumer' },
      });
    });

    it("leaves the reply consumer's run config to kafkajs", () => {
      expect(resolveClientOptions().runConfig).to.deep.equal({});
    });

    it('is frozen', () => {
      expect(() => {
        (DEFAULT_CLIENT_OPTIONS as { requestTimeoutMs: number }).requestTimeoutMs = 1;
      }).to.throw(TypeError);
    });
  });

  describe('client options', () => {
    it('resolves each given value; a request timeout of 0 means none', () => {
      expect(
        resolveClientOptions({ producerOnlyMode: true, requestTimeoutMs: 0, maxPendingRequests: 1 }),
      ).to.include({
        producerOnlyMode: true,
        requestTimeoutMs: 0,
        maxPendingRequests: 1,
      });
    });

    const cases: ReadonlyArray<{ options: unknown; path: string; fragment: string }> = [
      {
        options: { producerOnlyMode: 'yes' },
        path: 'producerOnlyMode',
        fragment: 'must be true or false, got "yes"',
      },
      { options: { requestTimeoutMs: -1 }, path: 'requestTimeoutMs', fragment: 'use 0 for no timeout' },
      { options: { requestTimeoutMs: 1.5 }, path: 'requestTimeoutMs', fragment: 'got 1.5' },
      {
        options: { maxPendingRequests: 0 },
        path: 'maxPendingRequests',
        fragment: 'at least 1, got 0: e.g. maxPendingRequests: 10000',
      },
      {
        options: { requestTimeout: 5000 },
        path: 'requestTimeout',
        fragment: "did you mean 'requestTimeoutMs'?",
      },
      {
        options: { ordering: 'key' },
        path: 'ordering',
        fragment: 'it is a server option (KafkaServerOptions), which a KafkaClient does not use',
      },
      { options: { drainTimeoutMs: 1 }, path: 'drainTimeoutMs', fragment: 'server option' },
    ];

    for (const { options, path, fragment } of cases) {
      it(`rejects ${JSON.stringify(options)} at ${path}`, () => {
        const error = catchInvalidOption(() => resolveClientOptions(unchecked<KafkaClientOptions>(options)));
        expect(error.context.path).to.equal(path);
        expect(error.message).to.include(fragment);
      });
    }
  });

  describe('with the options of a NestJS ClientsModule entry', () => {
    // As in NestJS's docs: ClientsModule.register([{ name: 'HERO_SERVICE', transport: Transport.KAFKA, options }]).
    const nestOptions: NonNullable<KafkaOptions['options']> = {
      client: { clientId: 'hero', brokers: ['localhost:9092'] },
      consumer: { groupId: 'hero-consumer' },
      producerOnlyMode: false,
      send: { acks: -1 },
    };

    it('accepts its options object unchanged', () => {
      const options = deepFreeze(structuredClone(nestOptions));
      expect(() => resolveClientOptions(options)).not.to.throw();
      expect(options).to.deep.equal(nestOptions);
    });

    it('computes the clientId, groupId and brokers of the real ClientKafka', () => {
      const resolved = resolveClientOptions(nestOptions);
      const nest = new ClientKafka(structuredClone(nestOptions)) as unknown as Record<string, unknown>;
      expect(resolved.clientId).to.equal(nest.clientId).and.to.equal('hero-client');
      expect(resolved.groupId).to.equal(nest.groupId).and.to.equal('hero-consumer-client');
      expect(resolved.brokers).to.deep.equal(nest.brokers);
    });
  });
});
