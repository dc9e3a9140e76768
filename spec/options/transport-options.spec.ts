import { expect } from 'chai';
import { PartitionAssigners, type KafkaConfig } from 'kafkajs';
import { ClientKafka, ServerKafka } from '@nestjs/microservices';
import type { KafkaTransportOptions } from '../../lib/options';
import type { Logger } from '../../lib/logger';
import { KafkaRequestSerializer } from '../../lib/wire/serializer';
import { catchInvalidOption, collectObjects, deepFreeze, SIDES } from './option-fixtures';

/** The ids NestJS 11 computes for the same options (its constructors compute them; nothing connects). */
function nestIds(postfix: string, options: object): { clientId: string; groupId: string; brokers: unknown } {
  const nest = (postfix === '-server'
    ? new ServerKafka(structuredClone(options))
    : new ClientKafka(structuredClone(options))) as unknown as {
    clientId: string;
    groupId: string;
    brokers: unknown;
  };
  return { clientId: nest.clientId, groupId: nest.groupId, brokers: nest.brokers };
}

const recordingLogger = (): Logger => ({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

describe('KafkaTransportOptions', () => {
  for (const side of SIDES) {
    describe(side.name, () => {
      context('with no options', () => {
        const resolved = side.resolve();

        it("connects to localhost:9092 as NestJS's default client and group, with the side's suffix", () => {
          expect(resolved.brokers).to.deep.equal(['localhost:9092']);
          expect(resolved.clientId).to.equal(`nestjs-consumer${side.postfix}`);
          expect(resolved.groupId).to.equal(`nestjs-group${side.postfix}`);
          expect(resolved.postfixId).to.equal(side.postfix);
        });

        it('builds ready-to-pass kafkajs configs', () => {
          expect(resolved.kafkaConfig).to.deep.equal({
            brokers: ['localhost:9092'],
            clientId: `nestjs-consumer${side.postfix}`,
          });
          expect(resolved.consumerConfig).to.deep.equal({ groupId: `nestjs-group${side.postfix}` });
          expect(resolved.subscribeConfig).to.deep.equal({ fromBeginning: false });
          expect(resolved.producerConfig).to.deep.equal({});
          expect(resolved.sendConfig).to.deep.equal({});
        });

        it('decodes values, leaves serializer and deserializer to the side, and logs through a default logger', () => {
          expect(resolved.keepBinary).to.equal(false);
          expect(resolved.serializer).to.equal(undefined);
          expect(resolved.deserializer).to.equal(undefined);
          for (const level of ['debug', 'info', 'warn', 'error'] as const)
            expect(resolved.logger[level]).to.be.a('function');
        });
      });

      describe('postfixId', () => {
        const ids = (options: KafkaTransportOptions): [string, string] => {
          const resolved = side.resolve({
            client: { clientId: 'hero', brokers: ['kafka:9092'] },
            consumer: { groupId: 'heroes' },
            ...options,
          });
          return [resolved.clientId, resolved.groupId];
        };

        it(`appends '${side.postfix}' when absent`, () => {
          expect(ids({})).to.deep.equal([`hero${side.postfix}`, `heroes${side.postfix}`]);
        });

        it("appends nothing when ''", () => {
          expect(ids({ postfixId: '' })).to.deep.equal(['hero', 'heroes']);
        });

        it('appends a custom suffix as it is', () => {
          expect(ids({ postfixId: '-eu-1' })).to.deep.equal(['hero-eu-1', 'heroes-eu-1']);
        });

        it(`appends '${side.postfix}' for an explicit undefined, where NestJS 11 appends the text "undefined"`, () => {
          expect(ids({ postfixId: undefined })).to.deep.equal([
            `hero${side.postfix}`,
            `heroes${side.postfix}`,
          ]);
          expect(nestIds(side.postfix, { postfixId: undefined }).clientId).to.equal(
            'nestjs-consumerundefined',
          );
        });

        for (const options of [
          {},
          { postfixId: '' },
          { postfixId: '-x' },
          { client: { clientId: '', brokers: ['a:1'] } },
        ]) {
          it(`computes the ids and brokers NestJS computes for ${JSON.stringify(options)}`, () => {
            const resolved = side.resolve(options);
            const nest = nestIds(side.postfix, options);
            expect({
              clientId: resolved.clientId,
              groupId: resolved.groupId,
              brokers: resolved.brokers,
            }).to.deep.equal(nest);
          });
        }
      });

      describe('kafkajs configs', () => {
        it('passes client fields through and lets the computed clientId and brokers win', () => {
          const retry = { retries: 2, initialRetryTime: 50 };
          const resolved = side.resolve({
            client: { brokers: ['a:1'], clientId: 'app', ssl: true, connectionTimeout: 5000, retry },
          });
          expect(resolved.kafkaConfig).to.deep.equal({
            brokers: ['a:1'],
            clientId: `app${side.postfix}`,
            ssl: true,
            connectionTimeout: 5000,
            retry,
          });
        });

        it('passes consumer fields through with the computed groupId', () => {
          const assigners = [PartitionAssigners.roundRobin];
          const resolved = side.resolve({
            consumer: { groupId: 'g', sessionTimeout: 45_000, partitionAssigners: assigners },
          });
          expect(resolved.consumerConfig).to.deep.equal({
            groupId: `g${side.postfix}`,
            sessionTimeout: 45_000,
            partitionAssigners: assigners,
          });
        });

        it('passes subscribe, producer and send through', () => {
          const resolved = side.resolve({
            subscribe: { fromBeginning: true },
            producer: { idempotent: true, maxInFlightRequests: 1 },
            send: { acks: -1, timeout: 10_000 },
          });
          expect(resolved.subscribeConfig).to.deep.equal({ fromBeginning: true });
          expect(resolved.producerConfig).to.deep.equal({ idempotent: true, maxInFlightRequests: 1 });
          expect(resolved.sendConfig).to.deep.equal({ acks: -1, timeout: 10_000 });
        });

        it('keeps a brokers function, a logger, a serializer and a deserializer by reference', () => {
          const brokers = async (): Promise<string[]> => ['a:1'];
          const logger = recordingLogger();
          const serializer = new KafkaRequestSerializer();
          const deserializer = { deserialize: (message: unknown) => message };
          const resolved = side.resolve({ client: { brokers }, logger, serializer, deserializer });
          expect(resolved.brokers).to.equal(brokers);
          expect(resolved.kafkaConfig.brokers).to.equal(brokers);
          expect(resolved.logger).to.equal(logger);
          expect(resolved.serializer).to.equal(serializer);
          expect(resolved.deserializer).to.equal(deserializer);
        });

        it('reads parser.keepBinary', () => {
          expect(side.resolve({ parser: { keepBinary: true } }).keepBinary).to.equal(true);
        });

        it('accepts run.autoCommit: false and passes it to the consumer run config', () => {
          expect(side.resolve({ run: { autoCommit: false } }).runConfig).to.include({ autoCommit: false });
        });

        it("accepts and ignores NestJS's transport field", () => {
          expect(() => side.resolve({ transport: 6 })).not.to.throw();
        });
      });

      describe('immutability', () => {
        const fullOptions = (): KafkaTransportOptions => ({
          client: {
            brokers: ['a:1', 'b:2'],
            clientId: 'app',
            ssl: { rejectUnauthorized: false, ca: [Buffer.from('ca')] },
            sasl: { mechanism: 'plain', username: 'u', password: 'p' },
            retry: { retries: 3 },
          },
          consumer: {
            groupId: 'g',
            partitionAssigners: [PartitionAssigners.roundRobin],
            retry: { retries: 1 },
          },
          run: { autoCommitInterval: 5000 },
          subscribe: { fromBeginning: true },
          producer: { allowAutoTopicCreation: false },
          send: { acks: -1 },
          postfixId: '',
          parser: { keepBinary: true },
          serializer: new KafkaRequestSerializer(),
          logger: recordingLogger(),
        });

        it('never writes into the options: a deep-frozen input resolves and stays equal', () => {
          const options = deepFreeze(fullOptions());
          const before = fullOptions();
          expect(() => side.resolve(options)).not.to.throw();
          expect(JSON.stringify(options)).to.equal(JSON.stringify(before));
        });

        it('leaves the caller free to change the options afterwards without affecting the result', () => {
          const options = fullOptions();
          const resolved = side.resolve(options);
          expect(Object.isFrozen(options.client)).to.equal(false);
          (options.client?.brokers as string[]).push('c:3');
          (options.consumer as { groupId: string }).groupId = 'other';
          expect(resolved.brokers).to.deep.equal(['a:1', 'b:2']);
          expect(resolved.consumerConfig.groupId).to.equal('g');
        });

        it('freezes the result and all its plain data, so assigning throws', () => {
          const resolved = side.resolve(fullOptions());
          expect(() => {
            (resolved as { clientId: string }).clientId = 'x';
          }).to.throw(TypeError);
          expect(() => (resolved.brokers as string[]).push('c:3')).to.throw(TypeError);
          expect(() => {
            (resolved.consumerConfig as { groupId: string }).groupId = 'x';
          }).to.throw(TypeError);
          const owned = [
            resolved.logger,
            resolved.serializer,
            (resolved.kafkaConfig.ssl as { ca: Buffer[] }).ca[0],
          ];
          const sasl = resolved.kafkaConfig.sasl as object;
          const unfrozen = collectObjects(resolved).filter(
            (object) => !Object.isFrozen(object) && !owned.includes(object as never) && object !== sasl,
          );
          expect(unfrozen).to.deep.equal([]);
        });

        it('gives kafkajs its own unfrozen copy of sasl, which its AWS-IAM mechanism writes into', () => {
          const options = fullOptions();
          const sasl = side.resolve(options).kafkaConfig.sasl as KafkaConfig['sasl'];
          expect(sasl).to.deep.equal(options.client?.sasl);
          expect(sasl).not.to.equal(options.client?.sasl);
          expect(Object.isFrozen(sasl)).to.equal(false);
        });
      });
    });
  }
});

describe('connectTimeoutMs', () => {
  for (const side of SIDES) {
    context(side.name, () => {
      it('defaults to 10 s, and takes a whole number of milliseconds, 0 for attempts only', () => {
        expect(side.resolve().connectTimeoutMs).to.equal(10_000);
        expect(side.resolve({ connectTimeoutMs: 2_500 }).connectTimeoutMs).to.equal(2_500);
        expect(side.resolve({ connectTimeoutMs: 0 }).connectTimeoutMs).to.equal(0);
      });

      for (const value of [-1, 1.5, '5000', Infinity]) {
        it(`rejects ${String(value)} with RXK_INVALID_OPTIONS at connectTimeoutMs`, () => {
          const error = catchInvalidOption(() => side.resolve({ connectTimeoutMs: value as number }));
          expect(error.context.path).to.equal('connectTimeoutMs');
        });
      }
    });
  }
});
