import { Controller, Module, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { expect } from 'chai';
import { firstValueFrom } from 'rxjs';
import { KafkaClient, silentLogger } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { uniqueName } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';
import { createTopicsReady } from '../interop/support/create-topics-ready';
import { eventually } from '../interop/support/eventually';
import { startNestApp, type NestTransport, type StartedNestApp } from './support/start-nest-app';

const PARTITIONS = 4;
/** Replies collected between two steps of the switch, so every step happens under load. */
const REPLIES_PER_STEP = 30;

function createEchoModule(topic: string, name: string): Type {
  @Controller()
  class EchoController {
    @MessagePattern(topic)
    echo(@Payload() data: { id: string }): { id: string; by: string } {
      return { id: data.id, by: name };
    }
  }
  @Module({ controllers: [EchoController] })
  class EchoModule {}
  return EchoModule;
}

describe('A rolling switch from Transport.KAFKA to RxKafkaStrategy in one consumer group (broker)', () => {
  it('answers every request while the instances switch one by one', async function () {
    this.timeout(240_000);
    const { brokers } = await useTestBroker();
    const topic = uniqueName('rolling');
    await createTopicsReady([{ topic, numPartitions: PARTITIONS }, { topic: `${topic}.reply` }]);
    const groupId = uniqueName('rolling-app');
    const start = (name: string, transport: NestTransport) =>
      startNestApp(createEchoModule(topic, name), transport, {
        brokers: [...brokers],
        groupId,
        clientId: name,
      });

    const client = new KafkaClient({
      client: { brokers: [...brokers], clientId: uniqueName('rolling-client') },
      consumer: { groupId: uniqueName('rolling-client') },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
      requestTimeoutMs: 90_000,
      ...specDriver(),
    });
    client.subscribeToResponseOf(topic);
    await client.connect();

    const answeredBy = new Map<string, number>();
    const failures: unknown[] = [];
    let stepResponders = new Set<string>();
    let replied = 0;
    let stopped = false;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (!stopped) {
        const id = `r-${next++}`;
        try {
          const reply = await firstValueFrom(
            client.send<{ id: string; by: string }>(topic, { key: id, value: { id } }),
          );
          if (reply.id !== id) throw new Error(`reply ${JSON.stringify(reply)} for ${id}`);
          answeredBy.set(reply.by, (answeredBy.get(reply.by) ?? 0) + 1);
          stepResponders.add(reply.by);
          replied += 1;
        } catch (error) {
          failures.push({ id, error });
        }
      }
    };
    const step = async (what: string) => {
      stepResponders = new Set();
      const before = replied;
      await eventually(
        () => replied >= before + REPLIES_PER_STEP,
        `${REPLIES_PER_STEP} replies ${what}`,
        90_000,
      );
    };

    const apps: StartedNestApp[] = [];
    try {
      apps.push(await start('nest-1', 'Transport.KAFKA'), await start('nest-2', 'Transport.KAFKA'));
      const workers = Array.from({ length: 4 }, worker);
      await step('with two Transport.KAFKA instances');

      await apps[0].app.close();
      apps.push(await start('rx-1', 'RxKafkaStrategy'));
      await step('with one instance of each');
      // The mixed group shares the partitions: both kinds of instance answered during this step.
      await eventually(
        () => stepResponders.has('nest-2') && stepResponders.has('rx-1'),
        'replies from both the Transport.KAFKA and the RxKafkaStrategy instance',
        90_000,
      );

      await apps[1].app.close();
      apps.push(await start('rx-2', 'RxKafkaStrategy'));
      await step('with two RxKafkaStrategy instances');

      stopped = true;
      await Promise.all(workers);
      expect(failures).to.deep.equal([]);
      expect(answeredBy.get('rx-2') ?? 0).to.be.greaterThan(0);
    } finally {
      stopped = true;
      await apps[2]?.app.close();
      await apps[3]?.app.close();
      await client.close();
    }
  });
});
