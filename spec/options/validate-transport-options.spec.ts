import { expect } from 'chai';
import type { KafkaTransportOptions } from '../../lib/options';
import { catchInvalidOption, SIDES, unchecked } from './option-fixtures';

describe('validateTransportOptions()', () => {
  for (const side of SIDES) {
    context(`through ${side.name}`, () => {
      describe('each field', () => {
        const cases: ReadonlyArray<{ options: unknown; path: string; fragment: string }> = [
          {
            options: { clinet: {} },
            path: 'clinet',
            fragment: "unknown option 'clinet': did you mean 'client'?",
          },
          { options: { Consumer: {} }, path: 'Consumer', fragment: "did you mean 'consumer'?" },
          {
            options: { options: { client: {} } },
            path: 'options',
            fragment: 'pass its `options` property instead',
          },
          { options: { nonsense: 1 }, path: 'nonsense', fragment: 'known options are client, consumer' },
          {
            options: { client: 'localhost:9092' },
            path: 'client',
            fragment: 'must be an object, got "localhost:9092"',
          },
          { options: { client: null }, path: 'client', fragment: 'got null' },
          { options: { client: { brokers: [] } }, path: 'client.brokers', fragment: 'got an empty array' },
          {
            options: { client: { brokers: 'localhost:9092' } },
            path: 'client.brokers',
            fragment: "non-empty array of 'host:port'",
          },
          {
            options: { client: { brokers: ['a:1', 'localhost'] } },
            path: 'client.brokers[1]',
            fragment: 'got "localhost"',
          },
          {
            options: { client: { brokers: ['a:0'] } },
            path: 'client.brokers[0]',
            fragment: 'port from 1 to 65535',
          },
          {
            options: { client: { brokers: ['a:65536'] } },
            path: 'client.brokers[0]',
            fragment: 'got "a:65536"',
          },
          {
            options: { client: { brokers: ['a:b'] } },
            path: 'client.brokers[0]',
            fragment: "e.g. 'localhost:9092'",
          },
          {
            options: { client: { brokers: ['[::1]:9092'] } },
            path: 'client.brokers[0]',
            fragment: 'kafkajs splits on it',
          },
          { options: { client: { brokers: [9092] } }, path: 'client.brokers[0]', fragment: 'got 9092' },
          {
            options: { client: { clientId: 7 } },
            path: 'client.clientId',
            fragment: 'must be a string, got 7',
          },
          {
            options: { consumer: { groupId: '' } },
            path: 'consumer.groupId',
            fragment: 'must be a non-empty string, got ""',
          },
          {
            options: { consumer: { sessionTimeout: 0 } },
            path: 'consumer.sessionTimeout',
            fragment: 'at least 1, got 0',
          },
          {
            options: { consumer: { sessionTimeout: '30000' } },
            path: 'consumer.sessionTimeout',
            fragment: 'got "30000"',
          },
          {
            options: { consumer: { heartbeatInterval: 1.5 } },
            path: 'consumer.heartbeatInterval',
            fragment: 'got 1.5',
          },
          {
            options: { consumer: { rebalanceTimeout: Number.NaN } },
            path: 'consumer.rebalanceTimeout',
            fragment: 'got NaN',
          },
          {
            options: { consumer: { partitionAssigners: {} } },
            path: 'consumer.partitionAssigners',
            fragment: 'got an empty object',
          },
          {
            options: { consumer: { partitionAssigners: ['roundrobin'] } },
            path: 'consumer.partitionAssigners',
            fragment: 'assigner functions',
          },
          {
            options: { run: { eachMessage: async () => undefined } },
            path: 'run.eachMessage',
            fragment: 'rxkafka consumes the records itself',
          },
          {
            options: { run: { eachBatch: async () => undefined } },
            path: 'run.eachBatch',
            fragment: 'is not allowed, got a function',
          },
          {
            options: { run: { partitionsConsumedConcurrently: 0 } },
            path: 'run.partitionsConsumedConcurrently',
            fragment: 'got 0',
          },
          {
            options: { run: { autoCommit: 'no' } },
            path: 'run.autoCommit',
            fragment: 'must be true or false, got "no"',
          },
          {
            options: { run: { autoCommitInterval: -1 } },
            path: 'run.autoCommitInterval',
            fragment: 'or null, got -1',
          },
          {
            options: { run: { eachBatchAutoResolve: 1 } },
            path: 'run.eachBatchAutoResolve',
            fragment: 'got 1',
          },
          { options: { subscribe: { topics: ['a'] } }, path: 'subscribe.topics', fragment: 'is not allowed' },
          {
            options: { subscribe: { fromBeginning: 'yes' } },
            path: 'subscribe.fromBeginning',
            fragment: 'got "yes"',
          },
          { options: { producer: 1 }, path: 'producer', fragment: 'must be an object, got 1' },
          {
            options: { send: { acks: 2 } },
            path: 'send.acks',
            fragment: 'must be -1 (all in-sync replicas), 0 or 1, got 2',
          },
          { options: { send: { acks: '1' } }, path: 'send.acks', fragment: 'got "1"' },
          { options: { send: { timeout: 0 } }, path: 'send.timeout', fragment: 'got 0' },
          { options: { postfixId: null }, path: 'postfixId', fragment: 'must be a string, got null' },
          { options: { postfixId: 1 }, path: 'postfixId', fragment: "or '' for none" },
          { options: { parser: true }, path: 'parser', fragment: 'must be an object, got true' },
          { options: { parser: { keepBinary: 'yes' } }, path: 'parser.keepBinary', fragment: 'got "yes"' },
          {
            options: { parser: { keepbinary: true } },
            path: 'parser.keepbinary',
            fragment: "did you mean 'keepBinary'?",
          },
          { options: { serializer: {} }, path: 'serializer', fragment: 'without serialize()' },
          {
            options: { serializer: { serialize: 'json' } },
            path: 'serializer',
            fragment: 'method serialize()',
          },
          { options: { deserializer: JSON }, path: 'deserializer', fragment: 'without deserialize()' },
          {
            options: { logger: () => undefined },
            path: 'logger',
            fragment: 'got a function without debug(), info(), warn(), error()',
          },
          {
            options: { logger: { debug() {}, info() {}, warn() {} } },
            path: 'logger',
            fragment: 'without error()',
          },
        ];

        for (const { options, path, fragment } of cases) {
          it(`rejects ${describeCase(options)} at ${path}`, () => {
            const error = catchInvalidOption(() => side.resolve(unchecked<KafkaTransportOptions>(options)));
            expect(error.context.path).to.equal(path);
            expect(error.message).to.include(fragment);
          });
        }

        for (const options of [null, 'localhost:9092', ['a:1'], 42]) {
          it(`rejects ${JSON.stringify(options)} as the options themselves`, () => {
            const error = catchInvalidOption(() => side.resolve(unchecked<KafkaTransportOptions>(options)));
            expect(error.context.path).to.equal('(root)');
            expect(error.message).to.include('the options must be an object');
          });
        }

        it('accepts what kafkajs accepts at the edges: a brokers function, a null commit interval, acks 0, console as logger', () => {
          expect(() =>
            side.resolve({
              client: { brokers: () => ['a:1'] },
              run: { autoCommitInterval: null, autoCommitThreshold: 0 },
              send: { acks: 0 },
              logger: console,
            }),
          ).not.to.throw();
        });
      });

      describe('cross-field rules', () => {
        it('rejects a heartbeat interval that is not below the session timeout, with a suggested interval', () => {
          const error = catchInvalidOption(() =>
            side.resolve({ consumer: { sessionTimeout: 9000, heartbeatInterval: 9000 } }),
          );
          expect(error.context.path).to.equal('consumer.heartbeatInterval');
          expect(error.message).to.include('(9000) must be below consumer.sessionTimeout (9000)');
          expect(error.message).to.include('heartbeatInterval: 3000');
        });

        it("blames the session timeout when it falls below kafkajs's default heartbeat interval", () => {
          const error = catchInvalidOption(() => side.resolve({ consumer: { sessionTimeout: 2000 } }));
          expect(error.context.path).to.equal('consumer.sessionTimeout');
          expect(error.message).to.include('3000, the kafkajs default');
        });

        it('accepts a heartbeat interval below the session timeout', () => {
          expect(() =>
            side.resolve({ consumer: { sessionTimeout: 10_000, heartbeatInterval: 3000 } }),
          ).not.to.throw();
          expect(() => side.resolve({ consumer: { heartbeatInterval: 29_999 } })).not.to.throw();
        });

        it('rejects an idempotent producer with send.acks other than -1, which kafkajs would reject at every send', () => {
          const error = catchInvalidOption(() =>
            side.resolve({ producer: { idempotent: true }, send: { acks: 1 } }),
          );
          expect(error.context.path).to.equal('send.acks');
          expect(error.message).to.include('must be -1 when producer.idempotent is true, got 1');
        });
      });
    });
  }
});

function describeCase(options: unknown): string {
  return (
    JSON.stringify(options, (_key, value: unknown) =>
      typeof value === 'function' ? '<function>' : Number.isNaN(value) ? 'NaN' : value,
    ) ?? String(options)
  );
}
