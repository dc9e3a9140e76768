import { expect } from 'chai';
import { RxKafkaError } from '../../lib/errors';
import { PARAMS_METADATA, readParamMetadata } from '../../lib/handlers/handler-metadata';
import { Ctx, Payload } from '../../lib/handlers/param-decorators';

describe('Payload() and Ctx()', () => {
  it('record each decorated parameter by index under the rxkafka:params key', () => {
    class HeroesController {
      killDragon(
        @Ctx() _context: unknown,
        _skipped: unknown,
        @Payload() _message: unknown,
        @Payload('id') _id: unknown,
      ) {}
    }
    expect(PARAMS_METADATA).to.equal(Symbol.for('rxkafka:params'));
    const params = readParamMetadata(HeroesController.prototype, 'killDragon');
    expect(params).to.have.length(4);
    expect(params?.[0]).to.deep.equal({ kind: 'context' });
    expect(params?.[1]).to.equal(undefined);
    expect(params?.[2]).to.deep.equal({ kind: 'payload' });
    expect(params?.[3]).to.deep.equal({ kind: 'payload', property: 'id' });
  });

  it('record nothing for a method without decorated parameters', () => {
    class HeroesController {
      killDragon(_message: unknown) {}
    }
    expect(readParamMetadata(HeroesController.prototype, 'killDragon')).to.equal(undefined);
  });

  it('keep the metadata of each method apart', () => {
    class HeroesController {
      a(@Payload() _message: unknown) {}
      b(_first: unknown, @Ctx() _context: unknown) {}
    }
    expect(readParamMetadata(HeroesController.prototype, 'a')).to.have.length(1);
    expect(readParamMetadata(HeroesController.prototype, 'b')?.[1]).to.deep.equal({ kind: 'context' });
  });

  context('when a parameter is decorated twice', () => {
    it('reject @Payload() with @Ctx(), naming the class, method and parameter', () => {
      function define() {
        class HeroesController {
          killDragon(_first: unknown, @Payload() @Ctx() _both: unknown) {}
        }
        return HeroesController;
      }
      expect(define)
        .to.throw(
          RxKafkaError,
          /parameter 1 of HeroesController\.killDragon has both @Payload\(\) and @Ctx\(\)/,
        )
        .with.property('code', 'RXK_INVALID_OPTIONS');
    });

    it('reject @Payload() twice', () => {
      function define() {
        class HeroesController {
          killDragon(@Payload('a') @Payload('b') _value: unknown) {}
        }
        return HeroesController;
      }
      expect(define).to.throw(RxKafkaError, /parameter 0 of HeroesController\.killDragon/);
    });
  });

  it('reject an empty @Payload property', () => {
    function define() {
      class HeroesController {
        killDragon(@Payload('') _value: unknown) {}
      }
      return HeroesController;
    }
    expect(define)
      .to.throw(RxKafkaError, /@Payload\(""\) on parameter 0 of HeroesController\.killDragon/)
      .with.property('code', 'RXK_INVALID_OPTIONS');
  });

  it('reject a constructor parameter and points to @inject()', () => {
    function define() {
      class HeroesController {
        constructor(@Ctx() readonly context: unknown) {}
      }
      return HeroesController;
    }
    expect(define).to.throw(RxKafkaError, /parameter 0 of the HeroesController constructor.*@inject\(\)/);
  });

  it('reject a static-method parameter', () => {
    function define() {
      class HeroesController {
        static killDragon(@Payload() _message: unknown) {}
      }
      return HeroesController;
    }
    expect(define).to.throw(RxKafkaError, /static member HeroesController\.killDragon/);
  });
});
