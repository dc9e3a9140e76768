import { expect } from 'chai';
import { catchInvalidOption, SIDES, unchecked } from './option-fixtures';
import {
  EVERY_CLIENT_KEY,
  EVERY_SASL_MECHANISM,
  EVERY_TRANSPORT_KAFKA_KEY,
  NESTED_TYPOS,
} from './kafka-config-fixtures';
import type { KafkaTransportOptions } from '../../lib/options';

describe('kafkajs config keys (client, consumer, producer, run, subscribe, send)', () => {
  for (const side of SIDES) {
    context(`through ${side.name}`, () => {
      const resolve = (options: object) => side.resolve(unchecked<KafkaTransportOptions>(options));

      describe('a key kafkajs does not take', () => {
        for (const { options, path, suggestion } of NESTED_TYPOS) {
          it(`rejects ${path}, suggesting the key meant`, () => {
            const error = catchInvalidOption(() => resolve(options));
            expect(error.context.path).to.equal(path);
            expect(error.message).to.equal(`unknown option '${path}': ${suggestion}`);
          });
        }

        it('lists the keys kafkajs takes when none is near', () => {
          const error = catchInvalidOption(() => resolve({ consumer: { autoCommit: false } }));
          expect(error.context.path).to.equal('consumer.autoCommit');
          expect(error.message).to.include('known options are groupId, partitionAssigners, metadataMaxAge');
        });

        it('rejects a key only another SASL mechanism takes', () => {
          const error = catchInvalidOption(() =>
            resolve({
              client: {
                sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p', sessionToken: 't' },
              },
            }),
          );
          expect(error.context.path).to.equal('client.sasl.sessionToken');
          expect(error.message).to.include(
            'known options are mechanism, authenticationProvider, username, password',
          );
        });

        it('names keys only, never a value that may be a secret', () => {
          const error = catchInvalidOption(() =>
            resolve({ client: { sasl: { mechanism: 'plain', username: 'u', pasword: 'hunter2' } } }),
          );
          expect(error.context.path).to.equal('client.sasl.pasword');
          expect(error.message).not.to.include('hunter2');
        });

        it('rejects a kafkajs config nested in one that is not an object', () => {
          const error = catchInvalidOption(() => resolve({ client: { retry: 5 } }));
          expect(error.context.path).to.equal('client.retry');
          expect(error.message).to.include('must be an object, got 5');
        });

        it('refuses subscribe.topic, as subscribe.topics, with the reason', () => {
          const error = catchInvalidOption(() => resolve({ subscribe: { topic: 'orders' } }));
          expect(error.context.path).to.equal('subscribe.topic');
          expect(error.message).to.include('rxkafka subscribes to the topics its handlers');
        });
      });

      describe('client.sasl.mechanism', () => {
        it('rejects a misspelt mechanism, suggesting the one meant', () => {
          const error = catchInvalidOption(() =>
            resolve({ client: { sasl: { mechanism: 'scram-sha256', username: 'u', password: 'p' } } }),
          );
          expect(error.context.path).to.equal('client.sasl.mechanism');
          expect(error.message).to.include('got "scram-sha256": did you mean \'scram-sha-256\'?');
        });

        it('rejects a missing mechanism, naming the ones kafkajs knows', () => {
          const error = catchInvalidOption(() =>
            resolve({ client: { sasl: { username: 'u', password: 'p' } } }),
          );
          expect(error.context.path).to.equal('client.sasl.mechanism');
          expect(error.message).to.include(
            "one of 'plain', 'scram-sha-256', 'scram-sha-512', 'aws', 'oauthbearer'",
          );
          expect(error.message).not.to.include('"p"');
        });

        it('accepts a mechanism of its own when it brings an authenticationProvider', () => {
          const authenticationProvider = () => ({ authenticate: async () => undefined });
          expect(() =>
            resolve({ client: { sasl: { mechanism: 'AWS_MSK_IAM', authenticationProvider, region: 'x' } } }),
          ).not.to.throw();
        });
      });

      describe('every key kafkajs takes', () => {
        it('is accepted in every kafkajs config at once', () => {
          expect(() => resolve(EVERY_TRANSPORT_KAFKA_KEY)).not.to.throw();
        });

        for (const sasl of EVERY_SASL_MECHANISM) {
          it(`is accepted in a ${sasl.mechanism} sasl`, () => {
            expect(() => resolve({ client: { ...EVERY_CLIENT_KEY, sasl } })).not.to.throw();
          });
        }

        it('is passed on to kafkajs, every key kept', () => {
          const resolved = resolve(EVERY_TRANSPORT_KAFKA_KEY);
          const every = EVERY_TRANSPORT_KAFKA_KEY;
          expect(resolved.kafkaConfig).to.have.all.keys(Object.keys(every.client));
          expect(resolved.kafkaConfig.sasl).to.deep.equal(every.client.sasl);
          expect(resolved.consumerConfig).to.have.all.keys(Object.keys(every.consumer));
          expect(resolved.producerConfig).to.have.all.keys(Object.keys(every.producer));
          expect(resolved.runConfig).to.have.all.keys(Object.keys(every.run));
          expect(resolved.sendConfig).to.deep.equal(every.send);
        });

        it('takes a null sasl or retry for absent, as kafkajs does', () => {
          expect(() =>
            resolve({ client: { sasl: null, retry: null }, consumer: { retry: null } }),
          ).not.to.throw();
        });

        it('leaves ssl as Node takes it: true, or any TLS option', () => {
          expect(() => resolve({ client: { ssl: true } })).not.to.throw();
          expect(() =>
            resolve({ client: { ssl: { ciphers: 'HIGH', secureContext: {}, anything: 1 } } }),
          ).not.to.throw();
        });
      });
    });
  }
});
