import { expect } from 'chai';
import { Container } from 'inversify';
import { Kafka, logLevel } from 'kafkajs';
import {
  firstValueFrom,
  interval,
  lastValueFrom,
  map,
  Observable,
  of,
  take,
  throwError,
  toArray,
} from 'rxjs';
import {
  Controller,
  Ctx,
  EventPattern,
  KafkaClient,
  KafkaContext,
  KafkaServer,
  MessagePattern,
  Payload,
  RemoteError,
  RequestTimeoutError,
  RpcException,
  RxKafkaError,
  silentLogger,
} from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { specDriver } from '../support/spec-driver';
import { createTopics, uniqueName } from '../support/kafka-fixtures';

/** Controllers are built per run so that their topics are unique to it. */
function createHeroesControllers(prefix: string) {
  const seen: { events: unknown[]; audit: unknown[]; batch: unknown[] } = {
    events: [],
    audit: [],
    batch: [],
  };

  @Controller()
  class HeroesController {
    @MessagePattern(`${prefix}.sum`)
    sum(@Payload() numbers: number[]): number {
      return numbers.reduce((a, b) => a + b, 0);
    }

    @MessagePattern(`${prefix}.echo`)
    async echo(@Payload() data: unknown): Promise<unknown> {
      return data;
    }

    @MessagePattern(`${prefix}.stream`)
    stream(@Payload() count: number): Observable<string> {
      return interval(5).pipe(
        take(Number(count)),
        map((i) => `item-${i}`),
      );
    }

    @MessagePattern(`${prefix}.keyed`)
    keyed(@Payload() data: { heroId: number }, @Ctx() context: KafkaContext) {
      return {
        key: `hero-${data.heroId}`,
        headers: { realm: 'Nest', topic: context.getTopic() },
        value: { ok: true },
      };
    }

    @MessagePattern(`${prefix}.fail.string`)
    failString(): never {
      throw new RpcException('bad input');
    }

    @MessagePattern(`${prefix}.fail.object`)
    failObject(): Observable<never> {
      return throwError(() => new RpcException({ code: 42, message: 'nope' }));
    }

    @MessagePattern(`${prefix}.fail.unknown`)
    async failUnknown(): Promise<never> {
      throw new Error('database password is hunter2');
    }

    @MessagePattern(`${prefix}.silent`)
    silent(): Observable<never> {
      return new Observable<never>(() => undefined);
    }

    @MessagePattern(`${prefix}.void`)
    nothing(): void {
      return undefined;
    }

    @EventPattern(`${prefix}.event`)
    onEvent(@Payload() data: unknown): void {
      seen.events.push(data);
    }

    @EventPattern(`${prefix}.event`)
    auditEvent(@Payload() data: unknown): Observable<void> {
      seen.audit.push(data);
      return of(undefined);
    }

    @EventPattern(`${prefix}.batch`)
    onBatch(@Payload() data: unknown): void {
      seen.batch.push(data);
    }
  }
  return { HeroesController, seen };
}

async function eventually(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('KafkaServer and KafkaClient (integration)', () => {
  const prefix = uniqueName('heroes');
  const { HeroesController, seen } = createHeroesControllers(prefix);
  const requestPatterns = [
    'sum',
    'echo',
    'stream',
    'keyed',
    'fail.string',
    'fail.object',
    'fail.unknown',
    'silent',
    'void',
    'missing',
  ];
  let server: KafkaServer;
  let client: KafkaClient;
  let brokers: string[];

  before(async () => {
    brokers = [...(await useTestBroker()).brokers];
    await createTopics([
      ...requestPatterns.flatMap((p) => [
        { topic: `${prefix}.${p}`, numPartitions: 2 },
        { topic: `${prefix}.${p}.reply` },
      ]),
      { topic: `${prefix}.event`, numPartitions: 2 },
      { topic: `${prefix}.batch`, numPartitions: 2 },
    ]);
    const container = new Container();
    container.bind(HeroesController).toSelf().inSingletonScope();
    server = new KafkaServer(container, {
      ...specDriver(),
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      logger: silentLogger,
      subscribe: { fromBeginning: true },
      // The `silent` handler never answers: cut it off so it does not hold the consumer (kafkajs fetches
      // again only when every batch of the last fetch is done).
      handlerTimeoutMs: 2_000,
    });
    await server.listen();
    client = new KafkaClient({
      ...specDriver(),
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      logger: silentLogger,
      requestTimeoutMs: 15_000,
    });
    for (const pattern of requestPatterns) client.subscribeToResponseOf(`${prefix}.${pattern}`);
    await client.connect();
  });

  after(async () => {
    await client?.close();
    await server?.close();
  });

  describe('.send()', () => {
    it('returns the handler’s value as the reply', async () => {
      expect(await firstValueFrom(client.send(`${prefix}.sum`, [1, 2, 3]))).to.equal('6');
    });

    it('returns a Promise’s value, objects as objects', async () => {
      expect(
        await firstValueFrom(client.send(`${prefix}.echo`, { hero: 'Ann', items: [1, 2] })),
      ).to.deep.equal({
        hero: 'Ann',
        items: [1, 2],
      });
    });

    it('streams every value of an Observable and completes after the last', async () => {
      const replies = await lastValueFrom(client.send(`${prefix}.stream`, 4).pipe(toArray()));
      expect(replies).to.deep.equal(['item-0', 'item-1', 'item-2', 'item-3']);
    });

    it('answers a void handler with one null and completes', async () => {
      const replies = await lastValueFrom(client.send(`${prefix}.void`, {}).pipe(toArray()));
      expect(replies).to.deep.equal([null]);
    });

    it('serves concurrent requests, each with its own reply', async () => {
      const sums = await Promise.all(
        Array.from({ length: 50 }, (_, i) => firstValueFrom(client.send(`${prefix}.sum`, [i, 1000]))),
      );
      expect(sums).to.deep.equal(Array.from({ length: 50 }, (_, i) => String(i + 1000)));
    });

    it('puts the handler’s key and headers on the reply record', async () => {
      const replyTopic = `${prefix}.keyed.reply`;
      const reply = await firstValueFrom(client.send(`${prefix}.keyed`, { heroId: 7 }));
      expect(reply).to.deep.equal({ ok: true });

      const raw = new Kafka({ clientId: uniqueName('raw'), brokers, logLevel: logLevel.NOTHING }).consumer({
        groupId: uniqueName('raw'),
      });
      await raw.connect();
      await raw.subscribe({ topic: replyTopic, fromBeginning: true });
      const record = await new Promise<{ key: string; headers: Record<string, string> }>((resolve) => {
        void raw.run({
          eachMessage: async ({ message }) =>
            resolve({
              key: String(message.key),
              headers: Object.fromEntries(
                Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
              ),
            }),
        });
      });
      await raw.disconnect();
      expect(record.key).to.equal('hero-7');
      expect(record.headers).to.include({ realm: 'Nest', topic: `${prefix}.keyed` });
      expect(record.headers).to.have.property('kafka_correlationId');
      expect(record.headers).to.have.property('kafka_nest-is-disposed', '\u0000');
    });
  });

  describe('errors', () => {
    it('delivers RpcException(string) as a RemoteError with NestJS’s payload', async () => {
      const error = await firstValueFrom(client.send(`${prefix}.fail.string`, {})).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(RemoteError);
      expect((error as RemoteError).code).to.equal('RXK_REMOTE_ERROR');
      expect((error as RemoteError).response).to.deep.equal({ status: 'error', message: 'bad input' });
    });

    it('delivers RpcException(object) with the object as the payload', async () => {
      const error = (await firstValueFrom(client.send(`${prefix}.fail.object`, {})).catch(
        (e: unknown) => e,
      )) as RemoteError;
      expect(error.response).to.deep.equal({ code: 42, message: 'nope' });
    });

    it('hides an unknown error’s message behind "Internal server error"', async () => {
      const error = (await firstValueFrom(client.send(`${prefix}.fail.unknown`, {})).catch(
        (e: unknown) => e,
      )) as RemoteError;
      expect(error.response).to.deep.equal({ status: 'error', message: 'Internal server error' });
      expect(error.message).not.to.contain('hunter2');
    });

    it('times out a request to a topic no server consumes, with a typed error', async () => {
      const missing = `${prefix}.missing`;
      const error = (await firstValueFrom(client.send(missing, {}, { timeoutMs: 1_500 })).catch(
        (e: unknown) => e,
      )) as RxKafkaError;
      expect(error).to.be.instanceOf(RequestTimeoutError);
      expect(error.code).to.equal('RXK_REQUEST_TIMEOUT');
      expect(error.context.topic).to.equal(missing);
      expect(client.pendingRequests).to.equal(0);
    });

    it('times out a request whose handler never answers, and frees its entry', async () => {
      const error = (await firstValueFrom(client.send(`${prefix}.silent`, {}, { timeoutMs: 1_000 })).catch(
        (e: unknown) => e,
      )) as RequestTimeoutError;
      expect(error).to.be.instanceOf(RequestTimeoutError);
      expect(error.timeoutMs).to.equal(1_000);
      expect(client.pendingRequests).to.equal(0);
    });

    it('frees the pending entry when the caller unsubscribes', async () => {
      const subscription = client.send(`${prefix}.silent`, {}).subscribe();
      await eventually(() => client.pendingRequests === 1, 'the request to be pending');
      subscription.unsubscribe();
      expect(client.pendingRequests).to.equal(0);
    });

    it('fails with RXK_NO_REPLY_PARTITION for a pattern whose replies it did not subscribe to', async () => {
      const error = (await firstValueFrom(client.send(`${prefix}.unsubscribed`, {})).catch(
        (e: unknown) => e,
      )) as RxKafkaError;
      expect(error.code).to.equal('RXK_NO_REPLY_PARTITION');
      expect(error.message).to.contain(`subscribeToResponseOf('${prefix}.unsubscribed') before connect()`);
    });
  });

  describe('.emit() and .emitBatch()', () => {
    it('runs every event handler of the topic', async () => {
      await firstValueFrom(client.emit(`${prefix}.event`, { kind: 'dragon-slain', hero: 1 }), {
        defaultValue: undefined,
      });
      await eventually(() => seen.events.length === 1 && seen.audit.length === 1, 'both event handlers');
      expect(seen.events).to.deep.equal([{ kind: 'dragon-slain', hero: 1 }]);
      expect(seen.audit).to.deep.equal([{ kind: 'dragon-slain', hero: 1 }]);
    });

    it('sends a batch whose items may be envelopes', async () => {
      await firstValueFrom(
        client.emitBatch(`${prefix}.batch`, { messages: [{ n: 1 }, { key: 'k', value: { n: 2 } }, 'three'] }),
        { defaultValue: undefined },
      );
      await eventually(() => seen.batch.length === 3, 'three batch events');
      expect(seen.batch).to.have.deep.members([{ n: 1 }, { n: 2 }, 'three']);
    });
  });
});
