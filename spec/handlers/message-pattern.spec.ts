import { expect } from 'chai';
import { RxKafkaError } from '../../lib/errors';
import { MessagePattern } from '../../lib/handlers/message-pattern';
import { EventPattern } from '../../lib/handlers/event-pattern';
import { PATTERNS_METADATA, readPatternMetadata } from '../../lib/handlers/handler-metadata';

describe('MessagePattern()', () => {
  it('records a string pattern on the method under the rxkafka:patterns key', () => {
    class HeroesController {
      @MessagePattern('hero.kill.dragon')
      killDragon(): void {}
    }
    expect(PATTERNS_METADATA).to.equal(Symbol.for('rxkafka:patterns'));
    expect(Reflect.getOwnMetadata(PATTERNS_METADATA, HeroesController.prototype, 'killDragon')).to.deep.equal(
      [{ kind: 'message', pattern: 'hero.kill.dragon' }],
    );
  });

  it('records a RegExp pattern as the same RegExp', () => {
    const pattern = /^hero\..*/;
    class HeroesController {
      @MessagePattern(pattern)
      any(): void {}
    }
    const [entry] = readPatternMetadata(HeroesController.prototype, 'any');
    expect(entry.pattern).to.equal(pattern);
  });

  it('keeps several patterns on one method in the order they are written', () => {
    class HeroesController {
      @MessagePattern('hero.a')
      @MessagePattern('hero.b')
      @EventPattern('hero.a')
      both(): void {}
    }
    expect(readPatternMetadata(HeroesController.prototype, 'both')).to.deep.equal([
      { kind: 'message', pattern: 'hero.a' },
      { kind: 'message', pattern: 'hero.b' },
      { kind: 'event', pattern: 'hero.a' },
    ]);
  });

  it('leaves the decorated method callable as before', () => {
    class HeroesController {
      @MessagePattern('hero.kill.dragon')
      killDragon(id: number): number {
        return id * 2;
      }
    }
    expect(new HeroesController().killDragon(21)).to.equal(42);
  });

  context('when the pattern is invalid', () => {
    it('rejects an empty string, naming the class and method', () => {
      function define() {
        class HeroesController {
          @MessagePattern('')
          killDragon(): void {}
        }
        return HeroesController;
      }
      expect(define)
        .to.throw(RxKafkaError, /@MessagePattern\(""\) on HeroesController\.killDragon: the pattern must be/)
        .with.property('code', 'RXK_INVALID_OPTIONS');
    });

    it('rejects a value that is neither a string nor a RegExp', () => {
      const objectPattern = { cmd: 'sum' } as unknown as string;
      function define() {
        class MathController {
          @MessagePattern(objectPattern)
          sum(): void {}
        }
        return MathController;
      }
      expect(define).to.throw(RxKafkaError, /@MessagePattern\(\{"cmd":"sum"\}\) on MathController\.sum/);
    });
  });

  context('when the member is not an instance method', () => {
    it('rejects a property', () => {
      const decorate = MessagePattern('hero.kill.dragon') as unknown as PropertyDecorator;
      function define() {
        class HeroesController {
          @decorate
          handler = (): void => undefined;
        }
        return HeroesController;
      }
      expect(define)
        .to.throw(RxKafkaError, /HeroesController\.handler, which is not a method/)
        .with.property('code', 'RXK_INVALID_OPTIONS');
    });

    it('rejects an accessor', () => {
      function define() {
        class HeroesController {
          @MessagePattern('hero.kill.dragon')
          get handler(): number {
            return 1;
          }
        }
        return HeroesController;
      }
      expect(define).to.throw(RxKafkaError, /HeroesController\.handler, which is not a method/);
    });

    it('rejects a static method', () => {
      function define() {
        class HeroesController {
          @MessagePattern('hero.kill.dragon')
          static killDragon(): void {}
        }
        return HeroesController;
      }
      expect(define).to.throw(RxKafkaError, /static member HeroesController\.killDragon/);
    });
  });

  it('rejects the same pattern twice on one method', () => {
    function define() {
      class HeroesController {
        @MessagePattern(/^hero\./)
        @MessagePattern(/^hero\./)
        killDragon(): void {}
      }
      return HeroesController;
    }
    expect(define)
      .to.throw(
        RxKafkaError,
        /@MessagePattern\(\/\^hero\\.\/\) appears twice on HeroesController\.killDragon/,
      )
      .with.property('code', 'RXK_INVALID_OPTIONS');
  });

  it('rejects { exactlyOnce: true }: request/reply is at-least-once by design', () => {
    function define() {
      class MathController {
        @MessagePattern('math.sum', { exactlyOnce: true })
        sum(): number {
          return 0;
        }
      }
      return MathController;
    }
    expect(define)
      .to.throw(
        RxKafkaError,
        /@MessagePattern\("math\.sum"\) on MathController\.sum: option exactlyOnce is for @EventPattern only/,
      )
      .with.property('code', 'RXK_INVALID_OPTIONS');
  });

  it('rejects a deadLetter: a request that fails for good gets an error reply, not a dead letter', () => {
    function define() {
      class MathController {
        @MessagePattern('math.sum', { deadLetter: 'math.sum.dlt' })
        sum(): number {
          return 0;
        }
      }
      return MathController;
    }
    expect(define)
      .to.throw(
        RxKafkaError,
        /@MessagePattern\("math\.sum"\) on MathController\.sum: option deadLetter is for @EventPattern only/,
      )
      .with.property('code', 'RXK_INVALID_OPTIONS');
  });
});
