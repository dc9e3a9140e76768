import type { MessageHandler } from '@nestjs/microservices';
import { expect } from 'chai';
import { RxKafkaError } from '../../lib';
import { toNestHandlerOptions } from '../../lib/nestjs/nest-handler-options';
import { createNestHandlerSource, RxKafkaStrategy } from '../../lib/nestjs';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';

function handlerWith(extras: Record<string, unknown> | undefined, isEventHandler = false): MessageHandler {
  return Object.assign(async () => undefined, { extras, isEventHandler });
}

describe('toNestHandlerOptions()', () => {
  it("reads retry and deadLetter from an event handler's extras and leaves the other keys alone", () => {
    const options = toNestHandlerOptions(
      'hero.killed',
      handlerWith({ retry: { attempts: 5, backoffMs: 0 }, deadLetter: true, auditTag: 'x' }, true),
    );
    expect(options).to.deep.equal({ retry: { attempts: 5, backoffMs: 0 }, deadLetter: true });
    expect(Object.isFrozen(options)).to.equal(true);
  });

  it("passes retryTopics on from an event handler's extras (its fields are checked at listen())", () => {
    const retryTopics = { delaysMs: [1000, 10000] };
    expect(toNestHandlerOptions('orders', handlerWith({ retryTopics }, true))).to.deep.equal({ retryTopics });
  });

  it('refuses retryTopics that is not an object, naming the handler', () => {
    expect(() => toNestHandlerOptions('orders', handlerWith({ retryTopics: [1000] }, true))).to.throw(
      RxKafkaError,
      /@EventPattern\(orders\) extras\.retryTopics must be an object/,
    );
  });

  it('gives no settings to a handler without extras', () => {
    expect(toNestHandlerOptions('hero.kill', handlerWith(undefined))).to.deep.equal({});
  });

  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'a retry that is not an object',
      { retry: 3 },
      /@MessagePattern\(hero\.kill\) extras\.retry must be an object/,
    ],
    ['a zero attempts count', { retry: { attempts: 0 } }, /extras\.retry\.attempts must be a whole number/],
    [
      'a misspelt retry key',
      { retry: { atempts: 2 } },
      /unknown option '.*extras\.retry\.atempts': did you mean 'attempts'/,
    ],
    [
      'a negative backoff',
      { retry: { backoffMs: -1 } },
      /extras\.retry\.backoffMs must be a whole number of milliseconds/,
    ],
    [
      'a dead letter that is a number',
      { deadLetter: 7 },
      /extras\.deadLetter must be true, false or a topic name/,
    ],
  ];
  for (const [name, extras, message] of invalid) {
    it(`refuses ${name}, naming the handler and the key`, () => {
      expect(() => toNestHandlerOptions('hero.kill', handlerWith(extras)))
        .to.throw(RxKafkaError, message)
        .with.property('code', 'RXK_INVALID_OPTIONS');
    });
  }

  it('refuses deadLetter on a request handler, and takes false (no dead letter) as it is', () => {
    expect(() => toNestHandlerOptions('hero.kill', handlerWith({ deadLetter: 'hero.kill.dlt' })))
      .to.throw(
        RxKafkaError,
        /@MessagePattern\(hero\.kill\) extras\.deadLetter must be left out of a @MessagePattern/,
      )
      .with.property('code', 'RXK_INVALID_OPTIONS');
    expect(toNestHandlerOptions('hero.kill', handlerWith({ deadLetter: false }))).to.deep.equal({
      deadLetter: false,
    });
  });

  it('names an event handler by @EventPattern', () => {
    expect(() => toNestHandlerOptions('hero.killed', handlerWith({ deadLetter: 1 }, true))).to.throw(
      /@EventPattern\(hero\.killed\) extras\.deadLetter/,
    );
  });

  it('is checked for every handler when the server reads its topics (at listen), before any record', () => {
    const server = new RxKafkaStrategy({ driver: new FakeKafkaDriver() });
    server.addHandler('hero.kill', async () => undefined, false, { retry: { attempts: -1 } });
    expect(() => createNestHandlerSource(server).topics()).to.throw(RxKafkaError, /retry\.attempts/);
  });
});
