import { Controller as NestController, Module } from '@nestjs/common';
import { MessagePattern as NestMessagePattern } from '@nestjs/microservices';
import { expect } from 'chai';
import { Container } from 'inversify';
import { filter, firstValueFrom } from 'rxjs';
import {
  consume,
  Controller,
  KafkaClient,
  KafkaServer,
  MessagePattern,
  silentLogger,
  type RecordStream,
} from '../../lib';
import { startNestApp } from '../nestjs/support/start-nest-app';
import { useTestBroker } from '../support/global-broker';
import { createTopics, uniqueName } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';

/** Generous for a shared machine, and still well below kafkajs's own fetch wait (5 s), which a close waited out. */
const IDLE_CLOSE_BOUND_MS = 2_000;
/** Long enough after the join for the consumer to sit in its fetch's long poll, as an idle service does. */
const IDLE_MS = 1_500;

const idle = () => new Promise((resolve) => setTimeout(resolve, IDLE_MS));

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  await work();
  return Date.now() - started;
}

/** Resolves once the stream's member holds partitions. */
async function assigned(stream: RecordStream): Promise<void> {
  await firstValueFrom(
    stream.connection.assignment$.pipe(filter((assignment) => Object.keys(assignment).length > 0)),
  );
}

describe('closing an idle member (integration)', function () {
  this.timeout(60_000);
  let brokers: string[];
  before(async () => {
    brokers = [...(await useTestBroker()).brokers];
  });

  it('KafkaServer.close() of an idle server', async () => {
    const prefix = uniqueName('idle-server');
    await createTopics([{ topic: `${prefix}.ping` }]);
    @Controller()
    class PingController {
      @MessagePattern(`${prefix}.ping`)
      ping(): string {
        return 'pong';
      }
    }
    const container = new Container();
    container.bind(PingController).toSelf().inSingletonScope();
    const server = new KafkaServer(container, {
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      logger: silentLogger,
      ...specDriver(),
    });
    await server.listen();
    await idle();
    const closeMs = await timed(() => server.close());
    expect(closeMs, 'server close() in ms').to.be.below(IDLE_CLOSE_BOUND_MS);
  });

  it('KafkaClient.close() of an idle client', async () => {
    const prefix = uniqueName('idle-client');
    await createTopics([{ topic: `${prefix}.ping` }, { topic: `${prefix}.ping.reply` }]);
    const client = new KafkaClient({
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      logger: silentLogger,
      ...specDriver(),
    });
    client.subscribeToResponseOf(`${prefix}.ping`);
    await client.connect();
    await idle();
    const closeMs = await timed(() => client.close());
    expect(closeMs, 'client close() in ms').to.be.below(IDLE_CLOSE_BOUND_MS);
  });

  describe('consume()', () => {
    const streamOn = (topic: string) =>
      consume({
        client: { brokers },
        groupId: uniqueName('idle-stream'),
        topics: [topic],
        logger: silentLogger,
        ...specDriver(),
      });

    it('drain() of an idle stream', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('idle-stream-drain'), numPartitions: 2 }]);
      const stream = streamOn(topic);
      stream.subscribe();
      await assigned(stream);
      await idle();
      const drainMs = await timed(() => stream.drain());
      expect(drainMs, 'stream drain() in ms').to.be.below(IDLE_CLOSE_BOUND_MS);
    });

    it('unsubscribing from an idle stream', async () => {
      const [topic] = await createTopics([
        { topic: uniqueName('idle-stream-unsubscribe'), numPartitions: 2 },
      ]);
      const stream = streamOn(topic);
      const subscription = stream.subscribe();
      await assigned(stream);
      await idle();
      const unsubscribeMs = await timed(async () => {
        const report = firstValueFrom(stream.reports$);
        subscription.unsubscribe();
        await report;
      });
      expect(unsubscribeMs, 'stream unsubscribe until its report, in ms').to.be.below(IDLE_CLOSE_BOUND_MS);
    });
  });

  it('app.close() of an idle NestJS microservice on RxKafkaStrategy', async () => {
    const prefix = uniqueName('idle-nest');
    await createTopics([{ topic: `${prefix}.ping` }]);
    @NestController()
    class PingController {
      @NestMessagePattern(`${prefix}.ping`)
      ping(): string {
        return 'pong';
      }
    }
    @Module({ controllers: [PingController] })
    class PingModule {}
    const { app } = await startNestApp(
      PingModule,
      'RxKafkaStrategy',
      { brokers, groupId: prefix },
      specDriver(),
    );
    await idle();
    const closeMs = await timed(() => app.close());
    expect(closeMs, 'app.close() in ms').to.be.below(IDLE_CLOSE_BOUND_MS);
  });
});
