import { expect } from 'chai';
import { Container } from 'inversify';
import { Controller, Ctx, EventPattern, KafkaContext, KafkaServer, Payload, silentLogger } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { createTopics, produceRecords, uniqueName } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';
import { eventually, sleep } from '../reliability/support/eventually';

describe('an operator pauses and resumes one partition of a server (broker)', function () {
  const topic = uniqueName('paused');
  const handled: Array<{ partition: number; n: number }> = [];
  let server: KafkaServer;

  @Controller()
  class LedgerController {
    @EventPattern(topic)
    post(@Payload() entry: { n: number }, @Ctx() context: KafkaContext): void {
      handled.push({ partition: context.getPartition(), n: entry.n });
    }
  }

  const handledOn = (partition: number) => handled.filter((entry) => entry.partition === partition);

  before(async function () {
    this.timeout(180_000);
    const brokers = [...(await useTestBroker()).brokers];
    await createTopics([{ topic, numPartitions: 2 }]);
    const container = new Container();
    container.bind(LedgerController).toSelf();
    server = new KafkaServer(container, {
      controllers: [LedgerController],
      client: { brokers, clientId: topic },
      consumer: { groupId: topic },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
      ...specDriver(),
    });
    await server.listen();
  });

  after(async () => {
    await server?.close();
  });

  it('fetches nothing of the paused partition while the other flows, then everything after the resume', async function () {
    this.timeout(60_000);
    const outcome = server.connection.command({ type: 'pause', topic, partition: 1, by: 'ops' });
    expect(outcome).to.deep.equal({ accepted: true });
    // Written to the paused partition first: a consumer fetching it would reach them before the others.
    await produceRecords(topic, [{ partition: 1, value: JSON.stringify({ n: 1 }) }]);
    await produceRecords(
      topic,
      Array.from({ length: 20 }, (_, n) => ({ partition: 0, value: JSON.stringify({ n }) })),
    );
    await eventually(() => handledOn(0).length === 20, 'the records of the partition that flows');
    // Two more fetch waits (500 ms each) past that: the paused partition's record would have come by now.
    await sleep(1_000);
    expect(handledOn(1), 'records of the paused partition').to.deep.equal([]);
    expect(server.connection.partitions.find((view) => view.context.partition === 1)?.state).to.equal(
      'paused',
    );

    expect(server.connection.command({ type: 'resume', topic, partition: 1, by: 'ops' })).to.deep.equal({
      accepted: true,
    });
    await eventually(() => handledOn(1).length === 1, 'the paused partition’s record after the resume');
    expect(handledOn(1)).to.deep.equal([{ partition: 1, n: 1 }]);
  });
});
