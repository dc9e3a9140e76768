/**
 * Commands across a fleet, through Kafka: an inspector that follows the fleet topic sends a command for
 * another member to the command topic; that member runs it and its answer comes back as a `command` entry.
 * The member's server runs on a fake driver (its partition can be paused); the fleet and command topics
 * are on the broker.
 */
import { expect } from 'chai';
import { Container } from 'inversify';
import {
  Controller,
  EventPattern,
  KafkaServer,
  registerControllers,
  RxKafkaError,
  silentLogger,
} from '../../lib';
import {
  publishInspection,
  startInspector,
  type InspectionPublisher,
  type Inspector,
  type InspectorEntry,
} from '../../lib/inspector';
import { useTestBroker } from '../support/global-broker';
import { createTopics, produceRecords, uniqueName } from '../support/kafka-fixtures';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { RecordingLogger } from '../support/recording-logger';
import { eventually } from '../reliability/support/eventually';

const TOKEN = 'the-fleet-token-of-32-characters';

@Controller()
class OrdersController {
  @EventPattern('orders.placed')
  place(): void {}
}

describe('commands across a fleet, through its command topic (broker)', function () {
  this.timeout(120_000);
  const topic = uniqueName('fleet-commands');
  let brokers: string[];
  let driver: FakeKafkaDriver;
  let server: KafkaServer;
  let publisher: InspectionPublisher | undefined;
  let inspector: Inspector | undefined;
  const memberLogger = new RecordingLogger();

  before(async () => {
    brokers = [...(await useTestBroker()).brokers];
    await createTopics([
      { topic, numPartitions: 1 },
      { topic: `${topic}.commands`, numPartitions: 1 },
    ]);
    driver = new FakeKafkaDriver();
    driver.capabilities = { joinsAfterConsume: true, pausesPartitions: true };
    const container = new Container();
    registerControllers(container, [OrdersController]);
    server = new KafkaServer(container, { driver, logger: silentLogger });
    await server.listen();
    publisher = await publishInspection({
      topic,
      client: { brokers },
      sources: [{ name: 'orders', source: server }],
      member: 'member-a',
      commands: { token: TOKEN },
      logger: memberLogger,
    });
    inspector = await startInspector({
      fleet: { topic, client: { brokers } },
      commands: { token: TOKEN },
      member: 'inspector',
      logger: silentLogger,
    });
  });

  after(async () => {
    await inspector?.close();
    await publisher?.close();
    await server?.close();
  });

  const commandEntries = (): Array<Extract<InspectorEntry, { kind: 'command' }>> =>
    inspector!.history.entries().filter((entry) => entry.kind === 'command') as never;

  async function post(
    body: unknown,
    token = TOKEN,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(new URL('commands', inspector!.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('sends a command for another member to the command topic; that member runs it and answers', async () => {
    const answer = await post({
      id: 'fleet-pause-1',
      member: 'member-a',
      source: 'orders',
      type: 'pause',
      topic: 'orders.placed',
      partition: 0,
      by: 'alice',
    });
    expect(answer).to.deep.equal({
      status: 202,
      body: { accepted: true, id: 'fleet-pause-1', forwardedTo: 'member-a' },
    });
    await eventually(
      () => server.connection.partitions[0]?.state === 'paused',
      'the member’s partition paused',
    );
    expect(server.connection.partitions[0].context.pausedBy).to.equal('alice');
    await eventually(() => commandEntries().length === 1, 'the member’s answer in the fleet’s history');
    expect(commandEntries()[0]).to.deep.include({
      member: 'member-a',
      source: 'orders',
      id: 'fleet-pause-1',
      type: 'pause',
      accepted: true,
    });
  });

  it('brings back the member’s refusal, with its reason', async () => {
    await post({
      id: 'fleet-pause-2',
      member: 'member-a',
      source: 'orders',
      type: 'pause',
      topic: 'orders.placed',
      partition: 0,
    });
    await eventually(() => commandEntries().length === 2, 'the member’s refusal in the fleet’s history');
    expect(commandEntries()[1]).to.deep.include({
      id: 'fleet-pause-2',
      accepted: false,
      reason: 'partition orders.placed/0 is paused: only an idle or processing partition can be paused',
    });
  });

  it('runs nothing a command record brings with a token the member does not take', async () => {
    const before = memberLogger.find('warn', 'was refused').length;
    await produceRecords(`${topic}.commands`, [
      {
        key: 'member-a',
        value: JSON.stringify({
          token: 'a-token-the-fleet-does-not-share',
          command: {
            id: 'forged-1',
            member: 'member-a',
            source: 'orders',
            type: 'resume',
            topic: 'orders.placed',
            partition: 0,
          },
        }),
      },
    ]);
    await eventually(() => memberLogger.find('warn', 'was refused').length > before, 'the member’s refusal');
    expect(server.connection.partitions[0].state).to.equal('paused');
    expect(JSON.stringify(memberLogger.entries)).to.not.include('a-token-the-fleet-does-not-share');
  });

  it('fails publishInspection() with commands when the command topic does not exist, naming it', async () => {
    const missing = uniqueName('fleet-without-commands');
    await createTopics([{ topic: missing, numPartitions: 1 }]);
    const error = await publishInspection({
      topic: missing,
      client: { brokers },
      sources: [{ name: 'orders', source: server }],
      member: 'member-b',
      commands: { token: TOKEN },
      logger: silentLogger,
    }).then(
      (started) => started.close().then(() => undefined),
      (failure: unknown) => failure,
    );
    expect(RxKafkaError.isRxKafkaError(error) && error.code).to.equal('RXK_TOPIC_NOT_FOUND');
    expect((error as Error).message).to.include(`${missing}.commands`);
  });

  it('refuses a short fleet token before connecting anything', async () => {
    const error = await publishInspection({
      topic,
      client: { brokers: ['127.0.0.1:1'] },
      sources: [{ name: 'orders', source: server }],
      commands: { token: 'short' },
    }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(RxKafkaError.isRxKafkaError(error) && error.code).to.equal('RXK_INVALID_OPTIONS');
    expect((error as Error).message).to.include('commands.token');
  });
});
