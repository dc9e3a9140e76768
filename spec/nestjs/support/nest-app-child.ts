/**
 * A NestJS app on RxKafkaStrategy, in its own process, for the SIGKILL spec: answers requests on TOPIC at
 * BROKERS in GROUP, says "listening" on stdout, and "handling <payload>" as each request starts. With
 * HANG=1 its handler never finishes (the spec kills it mid-request); otherwise it answers with NAME.
 */
import 'reflect-metadata';
import { Controller, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { silentLogger } from '../../../lib';
import { RxKafkaStrategy } from '../../../lib/nestjs';
import { specDriver } from '../../support/spec-driver';

const topic = String(process.env.TOPIC);
const name = String(process.env.NAME);
const hang = process.env.HANG === '1';

@Controller()
class ChildController {
  @MessagePattern(topic)
  async answer(@Payload() payload: unknown): Promise<unknown> {
    process.stdout.write(`handling ${JSON.stringify(payload)}\n`);
    if (hang) await new Promise(() => undefined);
    return { payload, answeredBy: name };
  }
}

@Module({ controllers: [ChildController] })
class ChildModule {}

async function main(): Promise<void> {
  Logger.overrideLogger(false);
  const strategy = new RxKafkaStrategy({
    client: { brokers: String(process.env.BROKERS).split(','), clientId: name },
    // A short session, so the group drops the killed member soon and the restarted one takes its partition.
    consumer: { groupId: String(process.env.GROUP), sessionTimeout: 6_000, heartbeatInterval: 1_000 },
    postfixId: '',
    subscribe: { fromBeginning: true },
    logger: silentLogger,
    handlerTimeoutMs: 0,
    // The spec's RXKAFKA_DRIVER, inherited from its process.
    ...specDriver(),
  });
  const app = await NestFactory.createMicroservice(ChildModule, { strategy, logger: false });
  await app.listen();
  process.stdout.write('listening\n');
}

void main();
