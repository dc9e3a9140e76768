import type { INestMicroservice } from '@nestjs/common';
import { expect } from 'chai';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import {
  KafkaClient,
  KafkaHeaders,
  NO_MESSAGE_HANDLER,
  RemoteError,
  RequestTimeoutError,
  silentLogger,
} from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { uniqueName } from '../support/kafka-fixtures';
import { NESTJS_MAJOR } from '../support/nestjs-major';
import { specDriver } from '../support/spec-driver';
import { eventually } from './support/eventually';
import { HeaderRoutingDeserializer, ROUTE_HEADER } from './support/header-routing-deserializer';
import { createHeroesTopics, listRequestPatterns, nameHeroesTopics } from './support/heroes-topics';
import { createNestHeroesController } from './support/nest-heroes-controller';
import { startNestMicroservice } from './support/nest-microservice';
import { observe } from './support/observe';
import { headerText, readRecords } from './support/read-records';

/** Resolves with what `promise` rejected with; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

describe('KafkaClient → a real NestJS microservice (interop)', () => {
  const topics = nameHeroesTopics(uniqueName('nest-server'));
  const { request } = topics;
  const { controller, seen } = createNestHeroesController(topics);
  let app: INestMicroservice;
  let client: KafkaClient;

  before(async () => {
    const brokers = [...(await useTestBroker()).brokers];
    await createHeroesTopics(topics);
    app = await startNestMicroservice([controller], {
      brokers,
      groupId: uniqueName('nest-server'),
      deserializer: new HeaderRoutingDeserializer(),
    });
    client = new KafkaClient({
      client: { brokers, clientId: uniqueName('rx-client') },
      consumer: { groupId: uniqueName('rx-client') },
      logger: silentLogger,
      requestTimeoutMs: 20_000,
      ...specDriver(),
    });
    for (const pattern of listRequestPatterns(topics)) client.subscribeToResponseOf(pattern);
    await client.connect();
  });

  after(async () => {
    await client?.close();
    await app?.close();
  });

  describe('request/reply', () => {
    it('receives a scalar reply as NestJS encodes it (a string)', async () => {
      expect(await lastValueFrom(client.send(request.sum, [1, 2, 3]).pipe(toArray()))).to.deep.equal(['6']);
    });

    it('receives an object reply as an object', async () => {
      const data = { hero: 'Ann', items: [1, 2] };
      expect(await lastValueFrom(client.send(request.echo, data).pipe(toArray()))).to.deep.equal([data]);
    });

    const items = ['item-0', 'item-1', 'item-2', 'item-3'];
    if (NESTJS_MAJOR === '10') {
      // NestJS 10's Server.send iterates a snapshot of its buffer while later ticks append to a copy, so it
      // can drop values and fold the end marker into a value it never sends. The client then either
      // completes (early) or, when the marker was lost, fails the request after its timeout.
      it("ends an Observable reply with values of it, or times out when NestJS 10's server lost the end marker", async () => {
        const received: unknown[] = [];
        const ended = await new Promise<'complete' | unknown>((resolve) => {
          client.send(request.stream, 4, { timeoutMs: 5_000 }).subscribe({
            next: (value) => received.push(value),
            complete: () => resolve('complete'),
            error: (error: unknown) => resolve(error),
          });
        });
        if (ended !== 'complete') {
          expect(ended).to.be.instanceOf(RequestTimeoutError);
          expect((ended as Error).message).to.include(`${received.length} replies so far`);
        }
        expect(received.length).to.be.greaterThan(0);
        expect(items).to.include.members(received);
        expect(new Set(received).size).to.equal(received.length);
      });
    } else {
      it('streams every value of an Observable reply and completes after the last', async () => {
        expect(await lastValueFrom(client.send(request.stream, 4).pipe(toArray()))).to.deep.equal(items);
      });
    }

    it('completes without a trailing null when NestJS ends a stream with a separate message', async () => {
      expect(await lastValueFrom(client.send(request['late-end'], {}).pipe(toArray()))).to.deep.equal([
        'first',
        'second',
      ]);
      const records = await readRecords(`${request['late-end']}.reply`);
      // NestJS marks the last value as the end when that value still waits to be sent (NestJS 12 often, 10 and
      // 11 on a loaded machine), and sends a separate null otherwise (the handler ends a quarter second late
      // so that this is the usual case; the wire spec covers reading that null).
      const separateEnd = records.length === 3;
      expect(records.map((r) => r.value?.toString() ?? null)).to.deep.equal(
        separateEnd ? ['first', 'second', null] : ['first', 'second'],
      );
      expect(records.map((r) => r.headers.map(([name]) => name))).to.deep.equal([
        [KafkaHeaders.CORRELATION_ID],
        ...(separateEnd
          ? [[KafkaHeaders.CORRELATION_ID], [KafkaHeaders.CORRELATION_ID, KafkaHeaders.NEST_IS_DISPOSED]]
          : [[KafkaHeaders.CORRELATION_ID, KafkaHeaders.NEST_IS_DISPOSED]]),
      ]);
    });

    it('keeps a 0x00-leading binary reply a Buffer', async () => {
      const replies = await lastValueFrom(client.send(request.binary, {}).pipe(toArray()));
      expect(replies).to.have.length(1);
      expect(Buffer.isBuffer(replies[0])).to.equal(true);
      expect(replies[0]).to.deep.equal(Buffer.from([0x00, 0x01, 0x02, 0xff]));
    });

    it(`receives a class instance as NestJS ${NESTJS_MAJOR} encodes it (10: "[object Object]", then JSON)`, async () => {
      expect(await lastValueFrom(client.send(request.instance, {}).pipe(toArray()))).to.deep.equal([
        NESTJS_MAJOR === '10' ? '[object Object]' : { id: 7, name: 'Ann' },
      ]);
    });

    it('receives one null from a void handler, then completion', async () => {
      expect(await lastValueFrom(client.send(request.void, {}).pipe(toArray()))).to.deep.equal([null]);
    });
  });

  describe('keyed replies with headers', () => {
    it('sends the request’s key and headers, and receives the handler’s key and headers', async () => {
      const reply = await firstValueFrom(
        client.send(request.keyed, { key: 'hero-7', value: { heroId: 7 }, headers: { trace: 't-7' } }),
      );
      expect(reply).to.deep.equal({ heroId: 7, trace: 't-7' });

      const [sent] = await readRecords(request.keyed);
      const [received] = await readRecords(`${request.keyed}.reply`);
      expect(sent.key?.toString()).to.equal('hero-7');
      expect(sent.headers.map(([name]) => name)).to.deep.equal([
        'trace',
        KafkaHeaders.CORRELATION_ID,
        KafkaHeaders.REPLY_TOPIC,
        KafkaHeaders.REPLY_PARTITION,
      ]);
      expect(headerText(sent, KafkaHeaders.CORRELATION_ID)).to.match(/^[0-9a-f]{21}$/);
      expect(headerText(sent, KafkaHeaders.REPLY_TOPIC)).to.equal(`${request.keyed}.reply`);
      expect(headerText(sent, KafkaHeaders.REPLY_PARTITION)).to.equal('0');

      expect(received.key?.toString()).to.equal('reply-hero-7');
      expect(received.value?.toString()).to.equal('{"heroId":7,"trace":"t-7"}');
      expect(received.headers.map(([name]) => name)).to.deep.equal([
        'realm',
        'trace',
        KafkaHeaders.CORRELATION_ID,
        KafkaHeaders.NEST_IS_DISPOSED,
      ]);
      expect(headerText(received, 'realm')).to.equal('heroes');
      expect(headerText(received, KafkaHeaders.CORRELATION_ID)).to.equal(
        headerText(sent, KafkaHeaders.CORRELATION_ID),
      );
      expect(received.headers[3][1]).to.deep.equal(Buffer.from([0x00]));
    });
  });

  describe('errors', () => {
    it('fails with a RemoteError carrying NestJS’s payload for RpcException(string)', async () => {
      const error = await rejectionOf(firstValueFrom(client.send(request['fail.string'], {})));
      expect(error).to.be.instanceOf(RemoteError);
      expect((error as RemoteError).response).to.deep.equal({ status: 'error', message: 'bad input' });
    });

    it('fails with the object itself for RpcException(object)', async () => {
      const error = (await rejectionOf(
        firstValueFrom(client.send(request['fail.object'], {})),
      )) as RemoteError;
      expect(error).to.be.instanceOf(RemoteError);
      expect(error.response).to.deep.equal({ code: 42, message: 'nope' });
    });

    it('fails with "Internal server error" for an unknown error, hiding its message', async () => {
      const error = (await rejectionOf(
        firstValueFrom(client.send(request['fail.unknown'], {})),
      )) as RemoteError;
      expect(error.response).to.deep.equal({ status: 'error', message: 'Internal server error' });
      expect(error.message).not.to.contain('hunter2');
    });

    it('emits the values sent before an error, then fails', async () => {
      const seenByClient = await observe(client.send(request['fail.midstream'], {}));
      expect(seenByClient).to.have.length(2);
      expect(seenByClient[0]).to.deep.equal({ next: 'partial' });
      const { error } = seenByClient[1] as { error: RemoteError };
      expect(error).to.be.instanceOf(RemoteError);
      expect(error.response).to.deep.equal({ status: 'error', message: 'broke after one' });
    });

    it('fails with NO_MESSAGE_HANDLER when the server routes the request to a pattern it has no handler for', async () => {
      const error = (await rejectionOf(
        firstValueFrom(
          client.send(request.routed, {
            value: { hero: 'Ann' },
            headers: { [ROUTE_HEADER]: `${topics.prefix}.nowhere` },
          }),
        ),
      )) as RemoteError;
      expect(error).to.be.instanceOf(RemoteError);
      expect(error.response).to.equal(NO_MESSAGE_HANDLER);
    });

    it('fails with NO_MESSAGE_HANDLER for a topic NestJS’s router misreads as a JSON number', async () => {
      const error = (await rejectionOf(firstValueFrom(client.send(topics.numeric, {})))) as RemoteError;
      expect(error).to.be.instanceOf(RemoteError);
      expect(error.response).to.equal(NO_MESSAGE_HANDLER);
    });

    it('times out a request to an @EventPattern topic: NestJS runs it as an event and never answers', async () => {
      const error = await rejectionOf(
        firstValueFrom(client.send(topics.event, { kind: 'request' }, { timeoutMs: 3_000 })),
      );
      expect(error).to.be.instanceOf(RequestTimeoutError);
      await eventually(
        () => seen.events.some((e) => (e as { kind?: string }).kind === 'request'),
        'the event handler to run',
      );
      expect(seen.audit).to.deep.include({ kind: 'request' });
    });
  });

  describe('events', () => {
    it('runs every NestJS event handler of the topic for emit()', async () => {
      await lastValueFrom(client.emit(topics.event, { kind: 'dragon-slain', hero: 1 }), {
        defaultValue: undefined,
      });
      await eventually(
        () => seen.events.some((e) => (e as { kind?: string }).kind === 'dragon-slain'),
        'the event handler to run',
      );
      await eventually(
        () => seen.audit.some((e) => (e as { kind?: string }).kind === 'dragon-slain'),
        'the audit handler to run',
      );
    });

    it('delivers every item of emitBatch(), envelopes included', async () => {
      await lastValueFrom(
        client.emitBatch(topics.batch, { messages: [{ n: 1 }, { key: 'k', value: { n: 2 } }, 'three'] }),
        { defaultValue: undefined },
      );
      await eventually(() => seen.batch.length === 3, 'three batch events');
      expect(seen.batch).to.deep.equal([{ n: 1 }, { n: 2 }, 'three']);
    });
  });
});
