import { expect } from 'chai';
import { Container } from 'inversify';
import { firstValueFrom } from 'rxjs';
import {
  Controller,
  KafkaClient,
  KafkaServer,
  MessagePattern,
  Payload,
  RxKafkaError,
  silentLogger,
} from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { createTopics, uniqueName } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';

function createWhoAmIController(pattern: string) {
  @Controller()
  class WhoAmIController {
    @MessagePattern(pattern)
    echo(@Payload() caller: string): string {
      return `hello ${caller}`;
    }
  }
  return WhoAmIController;
}

describe('reply partitions shared by client instances (integration)', () => {
  let brokers: string[];
  before(async () => {
    brokers = [...(await useTestBroker()).brokers];
  });

  async function startServer(pattern: string): Promise<KafkaServer> {
    const container = new Container();
    const controller = createWhoAmIController(pattern);
    container.bind(controller).toSelf();
    const server = new KafkaServer(container, {
      client: { brokers },
      consumer: { groupId: uniqueName('srv') },
      logger: silentLogger,
      ...specDriver(),
    });
    await server.listen();
    return server;
  }

  function createClient(pattern: string, groupId: string): KafkaClient {
    const client = new KafkaClient({
      client: { brokers },
      consumer: { groupId },
      logger: silentLogger,
      requestTimeoutMs: 15_000,
      ...specDriver(),
    });
    client.subscribeToResponseOf(pattern);
    return client;
  }

  it('gives each of two clients in one group its own reply partition, and both get their replies', async () => {
    const pattern = uniqueName('whoami');
    await createTopics([
      { topic: pattern, numPartitions: 2 },
      { topic: `${pattern}.reply`, numPartitions: 2 },
    ]);
    const server = await startServer(pattern);
    const groupId = uniqueName('clients');
    const first = createClient(pattern, groupId);
    const second = createClient(pattern, groupId);
    try {
      await first.connect();
      await second.connect();
      // The second join rebalances the group; wait until the first client holds exactly one partition again.
      const deadline = Date.now() + 20_000;
      while (
        Object.keys(first.getConsumerAssignments()).length === 0 ||
        first.getConsumerAssignments()[`${pattern}.reply`] ===
          second.getConsumerAssignments()[`${pattern}.reply`]
      ) {
        if (Date.now() > deadline) throw new Error('the two clients never held distinct reply partitions');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const partitions = [first, second].map((c) => c.getConsumerAssignments()[`${pattern}.reply`]).sort();
      expect(partitions).to.deep.equal([0, 1]);

      const replies = await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => firstValueFrom(first.send(pattern, `first-${i}`))),
        ...Array.from({ length: 10 }, (_, i) => firstValueFrom(second.send(pattern, `second-${i}`))),
      ]);
      expect(replies).to.deep.equal([
        ...Array.from({ length: 10 }, (_, i) => `hello first-${i}`),
        ...Array.from({ length: 10 }, (_, i) => `hello second-${i}`),
      ]);
    } finally {
      await Promise.all([first.close(), second.close()]);
      await server.close();
    }
  });

  it('fails the instance left without a partition with a clear RXK_NO_REPLY_PARTITION', async () => {
    const pattern = uniqueName('scarce');
    await createTopics([{ topic: pattern }, { topic: `${pattern}.reply`, numPartitions: 1 }]);
    const groupId = uniqueName('clients');
    const first = createClient(pattern, groupId);
    const second = createClient(pattern, groupId);
    try {
      await first.connect();
      await second.connect();
      const holders = [first, second].filter(
        (c) => c.getConsumerAssignments()[`${pattern}.reply`] !== undefined,
      );
      const starved = [first, second].find(
        (c) => c.getConsumerAssignments()[`${pattern}.reply`] === undefined,
      );
      expect(holders).to.have.length(1);
      const error = (await firstValueFrom(starved!.send(pattern, 'x')).catch(
        (e: unknown) => e,
      )) as RxKafkaError;
      expect(error.code).to.equal('RXK_NO_REPLY_PARTITION');
      expect(error.message).to.contain(
        `give the reply topic at least as many partitions as client instances in group ${groupId}-client`,
      );
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
