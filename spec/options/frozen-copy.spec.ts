import { expect } from 'chai';
import { toFrozenCopy } from '../../lib/options/frozen-copy';

describe('toFrozenCopy()', () => {
  it('copies plain objects and arrays at every level and freezes each copy', () => {
    const source = { a: { b: [1, { c: 'd' }] } };
    const copy = toFrozenCopy(source);
    expect(copy).to.deep.equal(source);
    expect(copy).not.to.equal(source);
    expect(copy.a.b).not.to.equal(source.a.b);
    expect(
      Object.isFrozen(copy) &&
        Object.isFrozen(copy.a) &&
        Object.isFrozen(copy.a.b) &&
        Object.isFrozen(copy.a.b[1]),
    ).to.equal(true);
  });

  it('leaves the source unfrozen', () => {
    const source = { a: { b: [1] } };
    toFrozenCopy(source);
    expect(Object.isFrozen(source) || Object.isFrozen(source.a) || Object.isFrozen(source.a.b)).to.equal(
      false,
    );
  });

  it('copies objects without a prototype', () => {
    const source = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    const copy = toFrozenCopy(source);
    expect(copy).not.to.equal(source);
    expect(Object.isFrozen(copy)).to.equal(true);
  });

  it('keeps functions, Buffers, RegExps and class instances by reference, unfrozen', () => {
    class Logger {
      level = 'warn';
    }
    const owned = { fn: () => 1, buffer: Buffer.from('x'), pattern: /a/g, logger: new Logger() };
    const copy = toFrozenCopy(owned);
    for (const key of ['fn', 'buffer', 'pattern', 'logger'] as const) {
      expect(copy[key]).to.equal(owned[key]);
      expect(Object.isFrozen(copy[key])).to.equal(false);
    }
  });

  it('returns primitives as they are', () => {
    expect(toFrozenCopy('a')).to.equal('a');
    expect(toFrozenCopy(null)).to.equal(null);
    expect(toFrozenCopy(undefined)).to.equal(undefined);
  });
});
