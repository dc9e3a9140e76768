import { expect } from 'chai';
import { Controller as NestController, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Ctx as NestCtx,
  MessagePattern as NestMessagePattern,
  Payload as NestPayload,
  Server,
  type CustomTransportStrategy,
} from '@nestjs/microservices';
import type { Consumer, Producer } from 'kafkajs';
import {
  describeMember,
  isSamePattern,
  readParamMetadata,
  toHandlerArgs,
  type ParamsMetadata,
} from '../../lib/handlers/handler-metadata';
import { Ctx, Payload } from '../../lib/handlers/param-decorators';
import { KafkaContext } from '../../lib/handlers/kafka-context';
import type { IncomingMessage } from '../../lib/wire/parser';

function createContext(): KafkaContext {
  const message: IncomingMessage = {
    topic: 'hero.kill.dragon',
    partition: 0,
    offset: '0',
    timestamp: '0',
    attributes: 0,
    key: null,
    value: { x: 1 },
    headers: {},
  };
  return new KafkaContext([
    message,
    0,
    'hero.kill.dragon',
    {} as Consumer,
    async () => undefined,
    {} as Producer,
  ]);
}

describe('toHandlerArgs()', () => {
  const kafkaContext = createContext();

  it('passes only the payload when no parameter is decorated', () => {
    expect(toHandlerArgs(undefined, { x: 1 }, kafkaContext)).to.deep.equal([{ x: 1 }]);
  });

  it('passes the whole payload to @Payload() and the context to @Ctx()', () => {
    const args = toHandlerArgs([{ kind: 'payload' }, { kind: 'context' }], { x: 1 }, kafkaContext);
    expect(args[0]).to.deep.equal({ x: 1 });
    expect(args[1]).to.equal(kafkaContext);
  });

  it('passes one property of the payload to @Payload(property)', () => {
    expect(toHandlerArgs([{ kind: 'payload', property: 'x' }], { x: 1 }, kafkaContext)).to.deep.equal([1]);
  });

  it('passes undefined to @Payload(property) when the payload is null or undefined', () => {
    const params: ParamsMetadata = [{ kind: 'payload', property: 'x' }];
    expect(toHandlerArgs(params, null, kafkaContext)).to.deep.equal([undefined]);
    expect(toHandlerArgs(params, undefined, kafkaContext)).to.deep.equal([undefined]);
  });

  it('passes undefined to undecorated parameters before the last decorated one', () => {
    const params: ParamsMetadata = [undefined, undefined, { kind: 'context' }];
    const args = toHandlerArgs(params, 'payload', kafkaContext);
    expect(args).to.have.length(3);
    expect(args.slice(0, 2)).to.deep.equal([undefined, undefined]);
    expect(args[2]).to.equal(kafkaContext);
  });

  context('compared with @nestjs/microservices 11', () => {
    // Each method returns exactly the arguments it was called with: a trailing rest parameter collects any
    // beyond the declared ones, so a call with fewer or more arguments shows in the result's length.
    @NestController()
    class ParityController {
      @NestMessagePattern('none')
      none(...args: unknown[]) {
        return args;
      }

      @NestMessagePattern('ctx-only')
      ctxOnly(a: unknown, @NestCtx() @Ctx() context: unknown, ...rest: unknown[]) {
        return [a, context, ...rest];
      }

      @NestMessagePattern('property')
      property(@NestPayload('x') @Payload('x') x: unknown, ...rest: unknown[]) {
        return [x, ...rest];
      }

      @NestMessagePattern('string-property')
      stringProperty(@NestPayload('length') @Payload('length') length: unknown, ...rest: unknown[]) {
        return [length, ...rest];
      }

      @NestMessagePattern('gap')
      gap(a: unknown, b: unknown, @NestPayload() @Payload() payload: unknown, ...rest: unknown[]) {
        return [a, b, payload, ...rest];
      }

      @NestMessagePattern('mixed')
      mixed(
        @NestCtx() @Ctx() context: unknown,
        @NestPayload('x') @Payload('x') x: unknown,
        @NestPayload() @Payload() payload: unknown,
        ...rest: unknown[]
      ) {
        return [context, x, payload, ...rest];
      }
    }

    @Module({ controllers: [ParityController] })
    class ParityModule {}

    class CapturingStrategy extends Server implements CustomTransportStrategy {
      listen(callback: () => void): void {
        callback();
      }
      close(): void {}
      on(): void {}
      unwrap<T>(): T {
        return undefined as T;
      }
    }

    const strategy = new CapturingStrategy();
    let close: () => Promise<void>;

    before(async () => {
      const app = await NestFactory.createMicroservice(ParityModule, { strategy, logger: false });
      await app.listen();
      close = () => app.close();
    });

    after(async () => {
      await close();
    });

    const cases: [method: keyof ParityController, payload: unknown][] = [
      ['none', { x: 1 }],
      ['ctxOnly', { x: 1 }],
      ['property', { x: 1 }],
      ['property', null],
      ['stringProperty', 'abc'],
      ['gap', { x: 1 }],
      ['mixed', { x: 1 }],
      ['mixed', undefined],
    ];
    const topics: Record<keyof ParityController, string> = {
      none: 'none',
      ctxOnly: 'ctx-only',
      property: 'property',
      stringProperty: 'string-property',
      gap: 'gap',
      mixed: 'mixed',
    };

    // deep.equal sees no fields on a KafkaContext (they are #private), so compare the context by identity.
    const markContext = (args: unknown[]) =>
      args.map((arg) => (arg === kafkaContext ? '<the context>' : arg));

    for (const [method, payload] of cases) {
      it(`builds the arguments Nest builds for ${method}() with payload ${JSON.stringify(payload)}`, async () => {
        const nestHandler = strategy.getHandlerByPattern(topics[method]);
        expect(nestHandler, `Nest handler for ${topics[method]}`).to.not.equal(null);
        const nestArgs = (await nestHandler!(payload, kafkaContext)) as unknown[];
        const ours = toHandlerArgs(
          readParamMetadata(ParityController.prototype, method),
          payload,
          kafkaContext,
        );
        expect(markContext(ours)).to.deep.equal(markContext(nestArgs));
      });
    }
  });
});

describe('describeMember()', () => {
  it('names an instance method, a static method and the constructor', () => {
    class HeroesController {}
    expect(describeMember(HeroesController.prototype, 'killDragon')).to.equal('HeroesController.killDragon');
    expect(describeMember(HeroesController, 'create')).to.equal('HeroesController.create');
    expect(describeMember(HeroesController, undefined)).to.equal('HeroesController constructor');
  });
});

describe('isSamePattern()', () => {
  it('compares strings by value', () => {
    expect(isSamePattern('a', 'a')).to.equal(true);
    expect(isSamePattern('a', 'b')).to.equal(false);
  });

  it('compares RegExps by source and flags', () => {
    expect(isSamePattern(/^a/, /^a/)).to.equal(true);
    expect(isSamePattern(/^a/, /^a/i)).to.equal(false);
    expect(isSamePattern(/^a/, /^b/)).to.equal(false);
  });

  it('never equates a string with a RegExp', () => {
    expect(isSamePattern('a', /a/)).to.equal(false);
  });
});
