import { expect } from 'chai';
import { KafkaRetriableException, RpcException } from '../../lib/handlers/rpc-exception';
import { encodeErrorHeader, toErrorPayload } from '../../lib/wire/error-payload';

const INTERNAL = { status: 'error', message: 'Internal server error' };

describe('toErrorPayload() (wire reference §1.9)', () => {
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

  it('returns a new internal-server-error object each time (callers may change it)', () => {
    expect(toErrorPayload(new Error())).to.not.equal(toErrorPayload(new Error()));
  });
});

describe('encodeErrorHeader()', () => {
  const rows: Array<[string, unknown, string]> = [
    [
      'an object as JSON',
      { status: 'error', message: 'bad input' },
      '{"status":"error","message":"bad input"}',
    ],
    ['an array as JSON', ['a', 1], '["a",1]'],
    ['null as JSON', null, 'null'],
    ['a string raw', 'some string', 'some string'],
    [
      'the NO_MESSAGE_HANDLER text raw',
      'There is no matching message handler defined in the remote service.',
      'There is no matching message handler defined in the remote service.',
    ],
    ['a number via String() (nestjs/nest#9024 crashed here)', 42, '42'],
    ['a boolean via String()', false, 'false'],
    ['a BigInt via String()', 10n, '10'],
    ['undefined via String()', undefined, 'undefined'],
    ['a symbol via String()', Symbol('s'), 'Symbol(s)'],
    ['non-ASCII text as UTF-8', 'échec ✗', 'échec ✗'],
  ];
  for (const [name, payload, text] of rows) {
    it(`encodes ${name}`, () => {
      const header = encodeErrorHeader(payload);
      expect(Buffer.isBuffer(header)).to.equal(true);
      expect(header.toString('utf8')).to.equal(text);
    });
  }

  context('with a payload JSON cannot encode', () => {
    it('sends the internal-server-error payload for a cyclic object instead of throwing', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(JSON.parse(encodeErrorHeader(cyclic).toString())).to.deep.equal(INTERNAL);
    });

    it('sends the internal-server-error payload for an object holding a BigInt', () => {
      expect(JSON.parse(encodeErrorHeader({ n: 1n }).toString())).to.deep.equal(INTERNAL);
    });

    it('sends the internal-server-error payload when toJSON yields undefined', () => {
      expect(JSON.parse(encodeErrorHeader({ toJSON: () => undefined }).toString())).to.deep.equal(INTERNAL);
    });

    it('sends the internal-server-error payload for a function whose toString throws', () => {
      const hostile = Object.assign(() => undefined, {
        toString: () => {
          throw new Error('no');
        },
      });
      expect(JSON.parse(encodeErrorHeader(hostile).toString())).to.deep.equal(INTERNAL);
    });
  });
});
