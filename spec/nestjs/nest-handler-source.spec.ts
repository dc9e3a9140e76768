import { KafkaContext as NestKafkaContext, KafkaRetriableException } from '@nestjs/microservices';
import { expect } from 'chai';
import { isObservable, lastValueFrom, of, throwError } from 'rxjs';
import { KafkaContext, RxKafkaError } from '../../lib';
import type { KafkaContextArgs } from '../../lib/handlers/kafka-context';
import { RxKafkaStrategy, createNestHandlerSource } from '../../lib/nestjs';
import { DecidedErrorPayload, toErrorPayload } from '../../lib/pipeline/error-payload';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';

/** A Nest `Server` (the strategy is one) with handlers added as Nest's ListenersController adds them. */
function createServer(): RxKafkaStrategy {
  return new RxKafkaStrategy({ driver: new FakeKafkaDriver() });
}

const ARGS = [
  { topic: 'hero.kill', partition: 2, offset: '7', key: 'k', value: 1, headers: {} },
  2,
  'hero.kill',
  { consumer: true },
  async () => undefined,
  { producer: true },
] as unknown as KafkaContextArgs;

describe('createNestHandlerSource()', () => {
  describe('lookups, as NestJS ServerKafka routes', () => {
    const server = createServer();
    server.addHandler('hero.kill', async () => of('killed'), false);
    server.addHandler('hero.killed', async () => undefined, true);
    server.addHandler('1.50', async () => 'numeric', false);
    const source = createNestHandlerSource(server);

    it('finds a @MessagePattern handler as the message handler, never as an event handler', () => {
      expect(source.findMessageHandler('hero.kill')).to.include({ kind: 'message', pattern: 'hero.kill' });
      expect(source.findEventHandlers('hero.kill')).to.deep.equal([]);
    });

    it('finds an @EventPattern handler as the one event handler, never as the message handler', () => {
      expect(source.findMessageHandler('hero.killed')).to.equal(undefined);
      expect(source.findEventHandlers('hero.killed').map((handler) => handler.kind)).to.deep.equal(['event']);
    });

    it('misses a topic NestJS’s router misreads as a JSON number, exactly as Nest does', () => {
      expect(source.findMessageHandler('1.50')).to.equal(undefined);
    });

    it('subscribes to every handler pattern', () => {
      expect(source.topics()).to.deep.equal({ strings: ['hero.kill', 'hero.killed', '1.50'], patterns: [] });
    });

    it('gives the same descriptor for a handler each time (no allocation per record)', () => {
      expect(source.findMessageHandler('hero.kill')).to.equal(source.findMessageHandler('hero.kill'));
    });

    it('names a handler by its decorator and pattern in log lines', () => {
      expect(source.findMessageHandler('hero.kill')).to.include({
        controller: 'NestJS',
        method: '@MessagePattern(hero.kill)',
      });
    });
  });

  describe('a handler’s run', () => {
    function describeOne(handler: (data: unknown, ctx: unknown) => Promise<unknown>, extras = {}) {
      const server = createServer();
      server.addHandler('hero.kill', handler, false, extras);
      const found = createNestHandlerSource(server).findMessageHandler('hero.kill');
      if (!found) throw new Error('no handler');
      return found;
    }
    /** What the handler's run settles to: its Promise's value, or its stream's last value. */
    const run = async (result: unknown) => {
      const value = await result;
      return isObservable(value) ? lastValueFrom(value) : value;
    };

    it('passes the payload and NestJS’s own KafkaContext holding the record’s values in Nest’s order', async () => {
      let seen: unknown[] = [];
      const handler = describeOne(async (data, ctx) => {
        seen = [data, ctx];
        return of('ok');
      });
      expect(await run(handler.invoke({ id: 1 }, new KafkaContext(ARGS)))).to.equal('ok');
      expect(seen[0]).to.deep.equal({ id: 1 });
      expect(seen[1]).to.be.instanceOf(NestKafkaContext);
      expect((seen[1] as NestKafkaContext).getArgs()).to.deep.equal([...ARGS]);
    });

    it('passes a plain value through with no stream around it', async () => {
      const handler = describeOne(async () => 42);
      const result = handler.invoke({}, new KafkaContext(ARGS));
      expect(isObservable(await result)).to.equal(false);
      expect(await run(result)).to.equal(42);
    });

    it('turns the error a Nest exception filter emits into a decided payload, sent unchanged', async () => {
      const handler = describeOne(async () => throwError(() => 'a filter’s plain string'));
      const error = await run(handler.invoke({}, new KafkaContext(ARGS))).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(DecidedErrorPayload);
      expect(toErrorPayload(error)).to.equal('a filter’s plain string');
    });

    it('keeps a KafkaRetriableException a filter rethrows itself, so rxkafka retries it', async () => {
      const retriable = new KafkaRetriableException('later');
      const handler = describeOne(async () => throwError(() => retriable));
      expect(await run(handler.invoke({}, new KafkaContext(ARGS))).catch((e: unknown) => e)).to.equal(
        retriable,
      );
    });

    it('reads rxkafka’s retry from the decorator’s extras, and nothing else', () => {
      const handler = describeOne(async () => undefined, { retry: { attempts: 5 }, other: true });
      expect(handler.options).to.deep.equal({ retry: { attempts: 5 } });
    });

    it('refuses a deadLetter in a request handler’s extras: a request gets an error reply instead', () => {
      expect(() => describeOne(async () => undefined, { deadLetter: 'heroes.dlt' }))
        .to.throw(RxKafkaError, /@MessagePattern\(hero\.kill\) extras\.deadLetter must be left out/)
        .with.property('code', 'RXK_INVALID_OPTIONS');
    });
  });
});
