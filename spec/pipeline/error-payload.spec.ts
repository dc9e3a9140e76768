import { expect } from 'chai';
import { KafkaRetriableException, RpcException } from '../../lib/handlers/rpc-exception';
import { RpcException as NestRpcException } from '@nestjs/microservices';
import { DecidedErrorPayload, isDecidedErrorReply, toErrorPayload } from '../../lib/pipeline/error-payload';

const INTERNAL = { status: 'error', message: 'Internal server error' };

describe('toErrorPayload()', () => {
  it("maps RpcException('bad input') to { status: 'error', message: 'bad input' }", () => {
    expect(toErrorPayload(new RpcException('bad input'))).to.deep.equal({
      status: 'error',
      message: 'bad input',
    });
  });

  it('maps an RpcException carrying an object to that very object', () => {
    const inner = { code: 42, message: 'nope' };
    expect(toErrorPayload(new RpcException(inner))).to.equal(inner);
  });

  it("maps the guard rejection RpcException('Forbidden resource')", () => {
    expect(toErrorPayload(new RpcException('Forbidden resource'))).to.deep.equal({
      status: 'error',
      message: 'Forbidden resource',
    });
  });

  it('maps a subclass of RpcException like RpcException', () => {
    class ValidationFailed extends RpcException {}
    expect(toErrorPayload(new ValidationFailed({ field: 'name' }))).to.deep.equal({ field: 'name' });
  });

  it('maps a KafkaRetriableException to the exception itself (its getError() is itself)', () => {
    const retriable = new KafkaRetriableException('later');
    expect(toErrorPayload(retriable)).to.equal(retriable);
  });

  const unknown: Array<[string, unknown]> = [
    ['a plain Error', new Error('secret detail')],
    ['a TypeError', new TypeError('x is undefined')],
    ['an HttpException-like object', Object.assign(new Error('Bad Request'), { status: 400 })],
    ['a thrown string', 'oops'],
    ['a thrown object', { message: 'not an RpcException' }],
    ['undefined', undefined],
    ['null', null],
    ['an object with a getError method but no RpcException class', { getError: () => 'fake' }],
  ];
  for (const [name, thrown] of unknown) {
    it(`maps ${name} to the internal-server-error payload`, () => {
      expect(toErrorPayload(thrown)).to.deep.equal(INTERNAL);
    });
  }

  it('gives a DecidedErrorPayload’s payload unchanged, even a string (a NestJS exception filter’s verdict)', () => {
    const payload = { code: 'HERO_NOT_FOUND' };
    expect(toErrorPayload(new DecidedErrorPayload(payload))).to.equal(payload);
    expect(toErrorPayload(new DecidedErrorPayload('plain'))).to.equal('plain');
  });

  it('returns a new internal-server-error object each time (callers may change it)', () => {
    expect(toErrorPayload(new Error())).to.not.equal(toErrorPayload(new Error()));
  });
});

describe('isDecidedErrorReply()', () => {
  it('is true for an RpcException (ours or NestJS’s) and for a NestJS filter’s own payload', () => {
    expect(isDecidedErrorReply(new RpcException('bad input'))).to.equal(true);
    expect(isDecidedErrorReply(new NestRpcException({ code: 42 }))).to.equal(true);
    expect(
      isDecidedErrorReply(new DecidedErrorPayload({ status: 'error', message: 'bad numbers' })),
    ).to.equal(true);
    expect(isDecidedErrorReply(new DecidedErrorPayload('not found'))).to.equal(true);
  });

  it('is false for an unexpected error, a late KafkaRetriableException and NestJS’s unknown-error reply', () => {
    expect(isDecidedErrorReply(new Error('database down'))).to.equal(false);
    expect(isDecidedErrorReply('a thrown string')).to.equal(false);
    expect(isDecidedErrorReply(new KafkaRetriableException('later'))).to.equal(false);
    expect(isDecidedErrorReply(new DecidedErrorPayload({ ...INTERNAL }))).to.equal(false);
    expect(isDecidedErrorReply(new DecidedErrorPayload({ ...INTERNAL, code: 7 }))).to.equal(true);
  });
});
