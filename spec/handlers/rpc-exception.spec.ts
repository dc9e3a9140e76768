import { expect } from 'chai';
import {
  KafkaRetriableException as NestKafkaRetriableException,
  RpcException as NestRpcException,
} from '@nestjs/microservices';
import {
  isRetriableException,
  isRpcExceptionLike,
  KafkaRetriableException,
  RpcException,
} from '../../lib/handlers/rpc-exception';

describe('RpcException', () => {
  it('is an Error named RpcException', () => {
    const error = new RpcException('bad input');
    expect(error).to.be.instanceOf(Error);
    expect(error.name).to.equal('RpcException');
    expect(String(error)).to.equal('RpcException: bad input');
  });

  it('starts its stack with the name and the message', () => {
    expect(new RpcException('bad input').stack?.split('\n')[0]).to.equal('RpcException: bad input');
  });

  describe('.getError()', () => {
    it('returns the string it was given', () => {
      expect(new RpcException('bad input').getError()).to.equal('bad input');
    });

    it('returns the very object it was given', () => {
      const inner = { code: 42 };
      expect(new RpcException(inner).getError()).to.equal(inner);
    });
  });

  describe('.message', () => {
    it('is the string given', () => {
      expect(new RpcException('bad input').message).to.equal('bad input');
    });

    it("is the object's string message", () => {
      expect(new RpcException({ code: 42, message: 'nope' }).message).to.equal('nope');
    });

    it('is the class name in words when the object has no string message, as in Nest', () => {
      expect(new RpcException({ code: 42 }).message).to.equal('Rpc Exception');
      class Http2Failure extends RpcException {}
      expect(new Http2Failure({ message: 7 }).message).to.equal('Http 2 Failure');
    });

    it('is the class name in words for null or undefined from JavaScript callers, as in Nest', () => {
      expect(new RpcException(null as unknown as object).message).to.equal('Rpc Exception');
      expect(new RpcException(undefined as unknown as object).message).to.equal('Rpc Exception');
    });
  });

  it('serializes to the same JSON as NestJS (own error and message, no name)', () => {
    expect(JSON.stringify(new RpcException('x'))).to.equal('{"error":"x","message":"x"}');
    expect(JSON.stringify(new RpcException({ a: 1 }))).to.equal(
      '{"error":{"a":1},"message":"Rpc Exception"}',
    );
  });
});

describe('KafkaRetriableException', () => {
  it('is an RpcException named KafkaRetriableException', () => {
    const error = new KafkaRetriableException('later');
    expect(error).to.be.instanceOf(RpcException);
    expect(error.name).to.equal('KafkaRetriableException');
    expect(error.message).to.equal('later');
  });

  it('returns itself from getError(), as in Nest', () => {
    const error = new KafkaRetriableException('later');
    expect(error.getError()).to.equal(error);
  });

  it('names its class in words when the object has no string message', () => {
    expect(new KafkaRetriableException({}).message).to.equal('Kafka Retriable Exception');
  });
});

describe('isRpcExceptionLike()', () => {
  const recognised: Array<[string, unknown]> = [
    ['our RpcException', new RpcException('x')],
    ['our KafkaRetriableException', new KafkaRetriableException('x')],
    ['a subclass of ours', new (class Custom extends RpcException {})('x')],
    ["@nestjs/microservices' RpcException", new NestRpcException('x')],
    ["@nestjs/microservices' KafkaRetriableException", new NestKafkaRetriableException('x')],
    ["a subclass of Nest's RpcException", new (class Custom extends NestRpcException {})('x')],
  ];
  for (const [name, error] of recognised) {
    it(`recognises ${name}`, () => {
      expect(isRpcExceptionLike(error)).to.equal(true);
    });
  }

  const rejected: Array<[string, unknown]> = [
    ['a plain Error', new Error('x')],
    ['an object with getError but no RpcException class', { getError: () => 'x' }],
    ['a class named RpcException without getError', new (class RpcException extends Error {})()],
    ['a string', 'RpcException'],
    ['null', null],
    ['undefined', undefined],
    ['an object without prototype', Object.create(null)],
  ];
  for (const [name, error] of rejected) {
    it(`rejects ${name}`, () => {
      expect(isRpcExceptionLike(error)).to.equal(false);
    });
  }
});

describe('isRetriableException()', () => {
  it("recognises ours and @nestjs/microservices' KafkaRetriableException", () => {
    expect(isRetriableException(new KafkaRetriableException('x'))).to.equal(true);
    expect(isRetriableException(new NestKafkaRetriableException('x'))).to.equal(true);
    expect(isRetriableException(new (class Later extends NestKafkaRetriableException {})('x'))).to.equal(
      true,
    );
  });

  it('rejects a plain RpcException, ours or Nest’s, and other errors', () => {
    expect(isRetriableException(new RpcException('x'))).to.equal(false);
    expect(isRetriableException(new NestRpcException('x'))).to.equal(false);
    expect(isRetriableException(new Error('x'))).to.equal(false);
    expect(isRetriableException(undefined)).to.equal(false);
  });
});
