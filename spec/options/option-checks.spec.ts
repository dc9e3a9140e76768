import { expect } from 'chai';
import { RxKafkaError } from '../../lib/errors';
import {
  checkDuration,
  checkKnownKeys,
  checkMethods,
  describeReceived,
  failOption,
  MAX_TIMER_MS,
} from '../../lib/options/option-checks';
import { catchInvalidOption } from './option-fixtures';

describe('option checks', () => {
  describe('failOption()', () => {
    it('throws RXK_INVALID_OPTIONS with the path in its context and what, got and fix in its message', () => {
      const error = catchInvalidOption(() => failOption('a.b', 'a string', 3, 'pass text'));
      expect(error).to.be.instanceOf(RxKafkaError);
      expect(error.context).to.deep.equal({ path: 'a.b' });
      expect(error.message).to.equal('option a.b must be a string, got 3: pass text');
    });
  });

  describe('describeReceived()', () => {
    it('quotes strings and names other primitives', () => {
      expect(describeReceived('x')).to.equal('"x"');
      expect(describeReceived(undefined)).to.equal('undefined');
      expect(describeReceived(null)).to.equal('null');
      expect(describeReceived(Number.NaN)).to.equal('NaN');
      expect(describeReceived(10n)).to.equal('10n');
      expect(describeReceived(Symbol('s'))).to.equal('Symbol(s)');
    });

    it('describes objects by their keys, never their values, so a secret cannot leak', () => {
      const described = describeReceived({ mechanism: 'plain', password: 'hunter2' });
      expect(described).to.equal('an object with keys mechanism, password');
      expect(described).not.to.include('hunter2');
    });

    it('names arrays, functions and class instances', () => {
      expect(describeReceived([])).to.equal('an empty array');
      expect(describeReceived([1, 2])).to.equal('an array of 2');
      expect(describeReceived(() => 1)).to.equal('a function');
      expect(describeReceived(new Map())).to.equal('an instance of Map');
      expect(describeReceived({})).to.equal('an empty object');
    });
  });

  describe('checkKnownKeys()', () => {
    const known = ['client', 'consumer', 'partitionConcurrency'];

    it('accepts known keys', () => {
      expect(() => checkKnownKeys('', { client: 1, consumer: 2 }, known)).not.to.throw();
    });

    it('counts a swap of two neighbouring letters as one typo', () => {
      expect(catchInvalidOption(() => checkKnownKeys('', { cleint: 1 }, known)).message).to.include(
        "did you mean 'client'?",
      );
    });

    it('ignores case when suggesting', () => {
      expect(
        catchInvalidOption(() => checkKnownKeys('', { PARTITIONCONCURRENCY: 1 }, known)).message,
      ).to.include("did you mean 'partitionConcurrency'?");
    });

    it('lists the known keys when nothing is close, and prefixes nested paths', () => {
      const error = catchInvalidOption(() => checkKnownKeys('parser', { zzz: 1 }, known));
      expect(error.context.path).to.equal('parser.zzz');
      expect(error.message).to.equal(
        "unknown option 'parser.zzz': known options are client, consumer, partitionConcurrency",
      );
    });

    it('prefers the explanation it is given', () => {
      const error = catchInvalidOption(() =>
        checkKnownKeys('', { options: 1 }, known, () => 'an explanation'),
      );
      expect(error.message).to.equal("unknown option 'options': an explanation");
    });
  });

  describe('checkDuration()', () => {
    it("accepts 0 and the longest delay Node's timers honour", () => {
      expect(() => checkDuration('t', 0, 'none')).not.to.throw();
      expect(() => checkDuration('t', MAX_TIMER_MS, 'none')).not.to.throw();
    });

    it('rejects a longer delay, which setTimeout would fire after 1 ms', () => {
      expect(catchInvalidOption(() => checkDuration('t', MAX_TIMER_MS + 1, 'none')).context.path).to.equal(
        't',
      );
    });
  });

  describe('checkMethods()', () => {
    it('accepts a function carrying the methods as properties', () => {
      const serialize = Object.assign(() => undefined, { serialize: () => undefined });
      expect(() => checkMethods('serializer', serialize, ['serialize'])).not.to.throw();
    });

    it('rejects a primitive', () => {
      expect(catchInvalidOption(() => checkMethods('serializer', 'json', ['serialize'])).message).to.include(
        'got "json" without serialize()',
      );
    });
  });
});
