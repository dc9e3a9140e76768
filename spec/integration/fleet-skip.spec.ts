/**
 * A skip across a fleet, on the broker: the member's server runs a handler that hangs on one record; an
 * inspector that only follows the fleet topic sends the skip to the fleet's command topic, and the member
 * moves its partition past the record into the dead-letter topic, answering in the fleet's history.
 */
import { expect } from 'chai';
import { Container } from 'inversify';
import { Controller, DeadLetterHeaders, EventPattern, KafkaServer, Payload, silentLogger } from '../../lib';
import {
  publishInspection,
  startInspector,
  StuckWatch,
  type InspectionPublisher,
  type Inspector,
  type InspectorEntry,
} from '../../lib/inspector';
import { headerText, readRecords } from '../interop/support/read-records';
import { eventually } from '../reliability/support/eventually';
import { useTestBroker } from '../support/global-broker';
import { createTopics, uniqueName } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';
import { explainAMinuteLater, explainedHangingHandler, produceAccounts } from './support/hung-account';

const TOKEN = 'the-fleet-token-of-32-characters';

describe('an operator skips a hung record of another fleet member, through the command topic (broker)', function () {
  this.timeout(120_000);
  const topic = uniqueName('fleet-skipped');
  const deadLetterTopic = `${topic}.dlt`;
  const fleetTopic = uniqueName('fleet');
  let release: () => void = () => undefined;
  const hung = new Promise<void>((resolve) => (release = resolve));
  const handled: string[] = [];
  let server: KafkaServer;
  let publisher: InspectionPublisher | undefined;
  let inspector: Inspector | undefined;
  // Made in before(), not here: a describe body runs when mocha loads the file, and a watch made then
  // would listen to the handler channels through every spec file that runs before this one.
  let watch: StuckWatch;

  @Controller()
  class LedgerController {
    @EventPattern(topic, { deadLetter: true })
    async post(@Payload() entry: { account: string }): Promise<void> {
      if (entry.account === 'acct-42') await hung;
      handled.push(entry.account);
    }
  }

  before(async () => {
    watch = new StuckWatch();
    const brokers = [...(await useTestBroker()).brokers];
    await createTopics([
      { topic, numPartitions: 1 },
      { topic: deadLetterTopic, numPartitions: 1 },
      { topic: fleetTopic, numPartitions: 1 },
      { topic: `${fleetTopic}.commands`, numPartitions: 1 },
    ]);
    const container = new Container();
    container.bind(LedgerController).toSelf();
    server = new KafkaServer(container, {
      client: { brokers, clientId: topic },
      consumer: { groupId: topic },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
      ...specDriver(),
    });
    await server.listen();
    publisher = await publishInspection({
      topic: fleetTopic,
      client: { brokers },
      sources: [{ name: 'ledger', source: server }],
      member: 'member-a',
      commands: { token: TOKEN },
      logger: silentLogger,
    });
    inspector = await startInspector({
      fleet: { topic: fleetTopic, client: { brokers } },
      commands: { token: TOKEN },
      member: 'inspector',
      logger: silentLogger,
    });
  });

  after(async () => {
    release();
    watch?.close();
    await inspector?.close();
    await publisher?.close();
    await server?.close();
  });

  const commandEntries = (): Array<Extract<InspectorEntry, { kind: 'command' }>> =>
    inspector!.history.entries().filter((entry) => entry.kind === 'command') as never;

  it('forwards the skip to the member, which dead-letters the record, moves on and answers', async () => {
    await produceAccounts(topic);
    const [stuck] = await explainedHangingHandler([server], watch);
    expect(stuck.reason).to.deep.include({ kind: 'handler-running', offset: '1', key: 'acct-42' });

    const response = await fetch(new URL('commands', inspector!.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({
        id: 'fleet-skip-1',
        member: 'member-a',
        source: 'ledger',
        type: 'skip',
        topic,
        partition: 0,
        offset: '1',
        by: 'alice',
      }),
    });
    expect({ status: response.status, body: await response.json() }).to.deep.equal({
      status: 202,
      body: { accepted: true, id: 'fleet-skip-1', forwardedTo: 'member-a' },
    });

    await eventually(
      () => server.connection.partitions[0]?.context.committedOffset === '3',
      'the member’s committed offset past the skipped record',
      30_000,
      () => JSON.stringify(server.connection.partitions[0]?.context),
    );
    expect(handled).to.have.members(['acct-1', 'acct-7']);
    expect(explainAMinuteLater([server], watch)).to.deep.equal([]);

    const [letter] = await readRecords(deadLetterTopic);
    expect(letter.key?.toString()).to.equal('acct-42');
    expect(headerText(letter, DeadLetterHeaders.SKIPPED_BY)).to.equal('alice');
    expect(headerText(letter, DeadLetterHeaders.ORIGINAL_OFFSET)).to.equal('1');

    await eventually(() => commandEntries().length === 1, 'the member’s answer in the fleet’s history');
    expect(commandEntries()[0]).to.deep.include({
      member: 'member-a',
      source: 'ledger',
      id: 'fleet-skip-1',
      type: 'skip',
      accepted: true,
    });
  });
});
