import { expect } from 'chai';
import { Container } from 'inversify';
import { Controller, EventPattern, KafkaServer, Payload, registerControllers, silentLogger } from '../../lib';
import { eventually } from '../interop/support/eventually';
import { useTestBroker } from '../support/global-broker';
import { createTopics, testKafka, uniqueName } from '../support/kafka-fixtures';

/** The partitions a server's partition actors stand for, sorted. */
function actorPartitions(server: KafkaServer): number[] {
  return server.connection.partitions.map((actor) => actor.partition).sort((a, b) => a - b);
}

describe('partition actors follow the assignment (integration)', function () {
  this.timeout(120_000);
  const topic = uniqueName('partition-actors');
  const groupId = uniqueName('partition-actors-group');
  const handled: string[] = [];
  const servers: KafkaServer[] = [];

  @Controller()
  class CountingController {
    @EventPattern(topic)
    count(@Payload() value: string): void {
      handled.push(value);
    }
  }

  async function startMember(name: string): Promise<KafkaServer> {
    const { brokers } = await useTestBroker();
    const container = new Container();
    registerControllers(container, [CountingController]);
    const server = new KafkaServer(container, {
      client: { brokers: [...brokers], clientId: uniqueName(name) },
      consumer: { groupId, sessionTimeout: 10_000, heartbeatInterval: 500 },
      subscribe: { fromBeginning: true },
      postfixId: '',
      logger: silentLogger,
    });
    servers.push(server);
    await server.listen();
    return server;
  }

  before(async () => {
    await createTopics([{ topic, numPartitions: 4 }]);
  });

  after(async () => {
    for (const server of servers) await server.close().catch(() => undefined);
  });

  it('gives a lone member one partition actor per partition, each learning its batches and commits', async () => {
    const first = await startMember('first');
    expect(actorPartitions(first)).to.deep.equal([0, 1, 2, 3]);
    expect(
      first.connection.partitions.every((actor) => actor.state === 'idle' || actor.state === 'processing'),
    ).to.equal(true);
    const producer = (await testKafka()).producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'one', partition: 2 }] });
    await producer.disconnect();
    await eventually(
      () => first.connection.partitions.find((actor) => actor.partition === 2)?.committedOffset === '1',
      'partition 2’s actor to see its commit',
    );
    expect(first.connection.partitions.find((actor) => actor.partition === 2)).to.include({
      finishedOffset: '1',
      highWatermark: '1',
    });
  });

  it('splits the partitions between two members after the second joins, with no partition twice', async () => {
    const [first] = servers;
    const second = await startMember('second');
    await eventually(
      () => actorPartitions(first).length === 2 && actorPartitions(second).length === 2,
      'two partition actors on each member',
    );
    expect([...actorPartitions(first), ...actorPartitions(second)].sort()).to.deep.equal([0, 1, 2, 3]);
  });

  it('gives the remaining member all four again once the second leaves', async () => {
    const [first, second] = servers;
    await second.close();
    expect(second.connection.partitions).to.deep.equal([]);
    await eventually(() => actorPartitions(first).length === 4, 'four partition actors on the first member');
    expect(actorPartitions(first)).to.deep.equal([0, 1, 2, 3]);
    expect(first.connection.partitions.map((actor) => actor.state)).to.satisfy((states: string[]) =>
      states.every((state) => state === 'idle' || state === 'processing'),
    );
  });
});
