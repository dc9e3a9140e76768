import { expect } from 'chai';
import { encodeErrorHeader } from '../../lib/wire/error-header';

const INTERNAL = { status: 'error', message: 'Internal server error' };

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
