import { expect } from 'chai';
import { checkShape, type ConfigShape } from '../../lib/options/check-shape';
import { catchInvalidOption } from './option-fixtures';

const INNER: ConfigShape = { keys: ['retries', 'factor'] };
const SHAPE: ConfigShape = {
  keys: ['brokers', 'retry', 'ssl', 'sasl'],
  nested: {
    retry: INNER,
    sasl: (_path, sasl) => (sasl.mechanism === 'own' ? undefined : { keys: ['mechanism', 'username'] }),
  },
};

describe('checkShape()', () => {
  it('accepts an absent object and one with known keys only', () => {
    expect(() => checkShape('client', undefined, SHAPE)).not.to.throw();
    expect(() => checkShape('client', { brokers: [], retry: { retries: 1 } }, SHAPE)).not.to.throw();
  });

  it('names the full path of an unknown key two levels down, with the closest known key', () => {
    const error = catchInvalidOption(() => checkShape('client', { retry: { retires: 1 } }, SHAPE));
    expect(error.context.path).to.equal('client.retry.retires');
    expect(error.message).to.equal(
      "unknown option 'client.retry.retires': did you mean 'retries'? (client.retry.retries)",
    );
  });

  it('checks the object itself before what it holds', () => {
    const error = catchInvalidOption(() => checkShape('client', { brokr: [], retry: { x: 1 } }, SHAPE));
    expect(error.context.path).to.equal('client.brokr');
  });

  it('rejects a value that is not an object, at its own level or nested', () => {
    expect(catchInvalidOption(() => checkShape('client', 'localhost', SHAPE)).message).to.equal(
      'option client must be an object, got "localhost": pass an object or leave client out',
    );
    expect(catchInvalidOption(() => checkShape('client', { retry: 5 }, SHAPE)).context.path).to.equal(
      'client.retry',
    );
  });

  it('takes a nested null for absent, as kafkajs does', () => {
    expect(() => checkShape('client', { retry: null, sasl: null }, SHAPE)).not.to.throw();
  });

  it('does not enter a value its shape does not describe', () => {
    expect(() => checkShape('client', { ssl: { anyTlsOption: true } }, SHAPE)).not.to.throw();
  });

  it('lets a nested shape depend on the object, or leave it unchecked', () => {
    expect(
      catchInvalidOption(() => checkShape('client', { sasl: { mechanism: 'plain', usename: 'u' } }, SHAPE))
        .context.path,
    ).to.equal('client.sasl.usename');
    expect(() => checkShape('client', { sasl: { mechanism: 'own', anything: 1 } }, SHAPE)).not.to.throw();
  });

  it('reads the own keys of a class instance', () => {
    class Config {
      brokers = ['a:1'];
      brokerz = ['b:1'];
    }
    expect(catchInvalidOption(() => checkShape('client', new Config(), SHAPE)).context.path).to.equal(
      'client.brokerz',
    );
  });
});
