import { expect } from 'chai';
import { RxKafkaError } from '../../../lib/errors';
import { loadPlatformatic, toLoadFailure } from '../../../lib/kafka/platformatic/platformatic-library';

function failing(code: string): (id: string) => never {
  return (id) => {
    throw Object.assign(new Error(`Cannot find module '${id}'`), { code });
  };
}

describe('loadPlatformatic()', () => {
  it('loads @platformatic/kafka when it is installed', () => {
    expect(loadPlatformatic().Consumer).to.be.a('function');
  });

  context('when @platformatic/kafka is not installed', () => {
    it('fails with RXK_INVALID_OPTIONS naming the package and the npm command', () => {
      let thrown: unknown;
      try {
        loadPlatformatic(failing('MODULE_NOT_FOUND'));
      } catch (error) {
        thrown = error;
      }
      expect(RxKafkaError.isRxKafkaError(thrown)).to.equal(true);
      const error = thrown as RxKafkaError;
      expect(error.code).to.equal('RXK_INVALID_OPTIONS');
      expect(error.context.path).to.equal('driver');
      expect(error.message).to.contain('@platformatic/kafka');
      expect(error.message).to.contain('npm install @platformatic/kafka@1.35.0');
      expect((error.cause as { code: string }).code).to.equal('MODULE_NOT_FOUND');
    });
  });

  it('says which Node version a require() of an ES module needs', () => {
    expect(toLoadFailure(Object.assign(new Error('esm'), { code: 'ERR_REQUIRE_ESM' })).message).to.contain(
      'Node.js 20.19',
    );
  });
});
