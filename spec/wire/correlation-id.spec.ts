import { expect } from 'chai';
import { createCorrelationId } from '../../lib/wire/correlation-id';

describe('createCorrelationId()', () => {
  // Enough ids to cross several refills of the internal random pool.
  const ids = Array.from({ length: 5000 }, () => createCorrelationId());

  it("returns 21 lowercase hex characters, Nest's format", () => {
    expect(ids.filter((id) => !/^[0-9a-f]{21}$/.test(id))).to.deep.equal([]);
  });

  it('never returns the same id twice', () => {
    expect(new Set(ids).size).to.equal(ids.length);
  });

  it('never returns ids that overlap (no sliding window over the pool)', () => {
    const suffixes = new Set(ids.map((id) => id.slice(1)));
    const prefixes = ids.map((id) => id.slice(0, -1));
    const overlapping = prefixes.filter((prefix) => suffixes.has(prefix));
    expect(overlapping).to.deep.equal([]);
  });

  it('never starts with { or [ (the parser would try JSON)', () => {
    expect(ids.filter((id) => id.startsWith('{') || id.startsWith('['))).to.deep.equal([]);
  });

  it('uses every hex digit (the ids are not drawn from a narrow alphabet)', () => {
    const digits = new Set(ids.join(''));
    expect([...digits].sort().join('')).to.equal('0123456789abcdef');
  });
});
