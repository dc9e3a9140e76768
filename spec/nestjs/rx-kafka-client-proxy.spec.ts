import { Inject, Injectable, Logger, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule } from '@nestjs/microservices';
import { expect } from 'chai';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { RemoteError, RequestTimeoutError, RxKafkaError, silentLogger } from '../../lib';
import { RxKafkaClientProxy } from '../../lib/nestjs';
import { EVERY_TRANSPORT_KAFKA_KEY, NESTED_TYPOS } from '../options/kafka-config-fixtures';
import { useTestBroker } from '../support/global-broker';
import { uniqueName } from '../support/kafka-fixtures';
import { NESTJS_MAJOR } from '../support/nestjs-major';
import { SPEC_DRIVER, specDriver } from '../support/spec-driver';
import { createTopicsReady } from '../interop/support/create-topics-ready';
import { eventually } from '../interop/support/eventually';
import {
  createHeroesAppModule,
  listAppRequestPatterns,
  nameHeroesAppTopics,
  type HeroesAppSeen,
  type HeroesAppTopics,
} from './support/heroes-app';
import { startNestApp, type StartedNestApp } from './support/start-nest-app';

const HERO_SERVICE = 'HERO_SERVICE';

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

describe('RxKafkaClientProxy in a NestJS app, via ClientsModule and @Inject (broker)', () => {
  let topics: HeroesAppTopics;
  let seen: HeroesAppSeen;
  let server: StartedNestApp;
  let caller: INestApplicationContext;
  let client: RxKafkaClientProxy;

  before(async () => {
    const brokers = [...(await useTestBroker()).brokers];
    topics = nameHeroesAppTopics(uniqueName('proxy'));
    await createTopicsReady([
      ...listAppRequestPatterns(topics).flatMap((p) => [{ topic: p }, { topic: `${p}.reply` }]),
      { topic: topics.batch },
      { topic: topics.visit },
    ]);
    const app = createHeroesAppModule(topics);
    seen = app.seen;
    server = await startNestApp(app.module, 'RxKafkaStrategy', { brokers, groupId: uniqueName('proxy-app') });

    /** A caller's own provider, as a Nest user writes one. */
    @Injectable()
    class HeroGateway {
      constructor(@Inject(HERO_SERVICE) readonly client: RxKafkaClientProxy) {}

      async onModuleInit(): Promise<void> {
        for (const pattern of listAppRequestPatterns(topics)) this.client.subscribeToResponseOf(pattern);
        await this.client.connect();
      }
    }

    @Module({
      imports: [
        ClientsModule.register([
          {
            name: HERO_SERVICE,
            customClass: RxKafkaClientProxy,
            options: {
              client: { brokers, clientId: uniqueName('proxy-client') },
              consumer: { groupId: uniqueName('proxy-client') },
              subscribe: { fromBeginning: true },
              logger: silentLogger,
              requestTimeoutMs: 20_000,
              ...specDriver(),
            },
          },
        ]),
      ],
      providers: [HeroGateway],
    })
    class CallerModule {}

    Logger.overrideLogger(false);
    caller = await NestFactory.createApplicationContext(CallerModule, { logger: false });
    await caller.init();
    client = caller.get(HeroGateway).client;
  });

  after(async () => {
    await caller?.close();
    await server?.app.close();
  });

  it('is the instance ClientsModule built from customClass', () => {
    expect(client).to.be.instanceOf(RxKafkaClientProxy);
  });

  it('sends a request and streams its replies, as ClientKafka', async () => {
    expect(await lastValueFrom(client.send(topics.request.sum, [1, 2, 3]).pipe(toArray()))).to.deep.equal([
      '6',
    ]);
    expect(await lastValueFrom(client.send(topics.request.stream, 3).pipe(toArray()))).to.deep.equal([
      'item-0',
      'item-1',
      'item-2',
    ]);
  });

  it('goes through the server app’s guard, pipe, interceptor and filter', async () => {
    expect(await firstValueFrom(client.send(topics.find, { id: 1 }))).to.deep.equal({
      id: 1,
      name: 'Ann',
      partition: 0,
    });
    const error = await rejectionOf(firstValueFrom(client.send(topics.find, { id: 9 })));
    expect(error).to.be.instanceOf(RemoteError);
    expect((error as RemoteError).response).to.deep.equal({ code: 'HERO_NOT_FOUND', id: 9 });
  });

  it('fails a request nobody answers with RequestTimeoutError after its own timeoutMs', async () => {
    // A request to an @EventPattern topic runs as an event: no reply ever comes.
    const error = await rejectionOf(
      firstValueFrom(client.send(topics.event, { kind: 'asked' }, { timeoutMs: 1_500 })),
    );
    expect(error).to.be.instanceOf(RequestTimeoutError);
    expect((error as RequestTimeoutError).timeoutMs).to.equal(1_500);
  });

  it('emits an event the server app handles', async () => {
    await lastValueFrom(client.emit(topics.visit, { hero: 2 }), { defaultValue: undefined });
    await eventually(() => seen.visits.some((v) => (v as { hero?: number }).hero === 2), 'the visit');
  });

  // What unwrap() returns is the driver's own client: kafkajs's `Kafka` (its `consumer()` factory), or
  // @platformatic/kafka's exports (its `Consumer` class).
  const unwrapped = SPEC_DRIVER === 'platformatic' ? '@platformatic/kafka' : 'kafkajs';
  const expectUnwrapped = () =>
    expect(client.unwrap())
      .to.have.property(SPEC_DRIVER === 'platformatic' ? 'Consumer' : 'consumer')
      .that.is.a('function');
  if (NESTJS_MAJOR === '10') {
    it(`unwraps to the ${unwrapped} client (NestJS 10 has no \`status\`: 11 added it)`, () => {
      expect((client as { status?: unknown }).status).to.equal(undefined);
      expectUnwrapped();
    });
  } else {
    it(`reports \`connected\` through Nest’s status, and unwraps to the ${unwrapped} client`, async () => {
      expect(await firstValueFrom(client.status)).to.equal('connected');
      expectUnwrapped();
    });
  }

  it('holds a reply partition per reply topic (ClientKafka.getConsumerAssignments)', () => {
    expect(client.getConsumerAssignments()).to.include({ [`${topics.request.sum}.reply`]: 0 });
  });
});

describe('RxKafkaClientProxy options', () => {
  for (const { options, path, suggestion } of NESTED_TYPOS) {
    it(`reject ${path} inside a kafkajs config at construction, suggesting the key meant`, () => {
      expect(() => new RxKafkaClientProxy(options))
        .to.throw(RxKafkaError, `unknown option '${path}': ${suggestion}`)
        .with.property('code', 'RXK_INVALID_OPTIONS');
    });
  }

  it('accept every key kafkajs takes', () => {
    expect(
      () => new RxKafkaClientProxy({ ...EVERY_TRANSPORT_KAFKA_KEY, logger: silentLogger }),
    ).not.to.throw();
  });
});
