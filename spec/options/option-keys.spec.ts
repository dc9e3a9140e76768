import { expect } from 'chai';
import { CLIENT_OPTION_KEYS, explainMisplacedKey, SERVER_OPTION_KEYS } from '../../lib/options/option-keys';

const SHARED = ['client', 'consumer', 'run', 'subscribe', 'producer', 'send', 'postfixId'];
const SHARED_REST = [
  'serializer',
  'deserializer',
  'parser',
  'connectTimeoutMs',
  'logger',
  'transport',
  'driver',
  'groupProtocol',
];

describe('option keys', () => {
  describe('SERVER_OPTION_KEYS', () => {
    it("holds NestJS's transport keys and the server's own", () => {
      expect(SERVER_OPTION_KEYS).to.have.members([
        ...SHARED,
        ...SHARED_REST,
        'partitionConcurrency',
        'ordering',
        'maxInFlightPerPartition',
        'drainTimeoutMs',
        'handlerTimeoutMs',
        'replyTimeoutMs',
        'retry',
        'deadLetter',
        'exactlyOnce',
      ]);
    });
  });

  describe('CLIENT_OPTION_KEYS', () => {
    it("holds NestJS's transport keys and the client's own", () => {
      expect(CLIENT_OPTION_KEYS).to.have.members([
        ...SHARED,
        ...SHARED_REST,
        'producerOnlyMode',
        'requestTimeoutMs',
        'maxPendingRequests',
      ]);
    });
  });

  describe('explainMisplacedKey()', () => {
    it('recognises the NestJS { transport, options } object on either side', () => {
      expect(explainMisplacedKey('options', 'server')).to.include('pass its `options` property instead');
      expect(explainMisplacedKey('options', 'client')).to.include('NestJS microservice object');
    });

    it("names the other side's options", () => {
      expect(explainMisplacedKey('producerOnlyMode', 'server')).to.equal(
        'it is a client option (KafkaClientOptions), which a KafkaServer does not use: remove it',
      );
      expect(explainMisplacedKey('ordering', 'client')).to.equal(
        'it is a server option (KafkaServerOptions), which a KafkaClient does not use: remove it',
      );
    });

    it('has nothing to add for other keys, or for a key of its own side', () => {
      expect(explainMisplacedKey('clinet', 'server')).to.equal(undefined);
      expect(explainMisplacedKey('ordering', 'server')).to.equal(undefined);
      expect(explainMisplacedKey('toString', 'server')).to.equal(undefined);
    });
  });
});
