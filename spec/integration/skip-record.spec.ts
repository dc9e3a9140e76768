import { expect } from 'chai';
import { Container } from 'inversify';
import { Controller, DeadLetterHeaders, EventPattern, KafkaServer, Payload, silentLogger } from '../../lib';
import { startInspector, StuckWatch, type Inspector } from '../../lib/inspector';
import { useTestBroker } from '../support/global-broker';
import { createTopics, testKafka, uniqueName, withAdmin } from '../support/kafka-fixtures';
import { eventually } from '../reliability/support/eventually';
import { explainAMinuteLater, explainedHangingHandler, produceAccounts } from './support/hung-account';
import { specDriver } from '../support/spec-driver';

const TOKEN = 'a-token-of-32-characters-for-ops';

interface ReadRecord {
  readonly key: string | undefined;
  readonly value: string | undefined;
  readonly headers: Record<string, string | undefined>;
}

/** The first record of `topic`, read from its beginning by a plain kafkajs consumer. */
async function firstRecord(topic: string): Promise<ReadRecord> {
  const consumer = (await testKafka()).consumer({ groupId: uniqueName('reader') });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<ReadRecord>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) =>
          resolve({
            key: message.key?.toString(),
            value: message.value?.toString(),
            headers: Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString()]),
            ),
          }),
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

/** The group's committed offset of `topic`/0 on the broker. */
async function committedOffset(groupId: string, topic: string): Promise<string | undefined> {
  const [offsets] = await withAdmin((admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
  return offsets?.partitions.find(({ partition }) => partition === 0)?.offset;
}

describe('an operator skips the record a handler hangs on, through the inspector (broker)', () => {
  const topic = uniqueName('skipped');
  const deadLetterTopic = `${topic}.dlt`;
  let release: () => void = () => undefined;
  const hung = new Promise<void>((resolve) => (release = resolve));
  const handled: string[] = [];
  let server: KafkaServer;
  let inspector: Inspector;
  let watch: StuckWatch;

  @Controller()
  class LedgerController {
    @EventPattern(topic, { deadLetter: true })
    async post(@Payload() entry: { account: string }): Promise<void> {
      if (entry.account === 'acct-42') await hung;
      handled.push(entry.account);
    }
  }

  before(async function () {
    this.timeout(180_000);
    const brokers = [...(await useTestBroker()).brokers];
    await createTopics([
      { topic, numPartitions: 1 },
      { topic: deadLetterTopic, numPartitions: 1 },
    ]);
    const container = new Container();
    container.bind(LedgerController).toSelf();
    watch = new StuckWatch();
    server = new KafkaServer(container, {
      client: { brokers, clientId: topic },
      consumer: { groupId: topic },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
      ...specDriver(),
    });
    await server.listen();
    inspector = await startInspector({
      sources: [{ name: 'server', source: server }],
      commands: { token: TOKEN },
      logger: silentLogger,
    });
  });

  after(async () => {
    release();
    watch?.close();
    await inspector?.close();
    await server?.close();
  });

  async function post(body: unknown, token: string | null): Promise<{ status: number; body: unknown }> {
    const response = await fetch(new URL('commands', inspector.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  const skip = (id: string) => ({
    id,
    source: 'server',
    type: 'skip',
    topic,
    partition: 0,
    offset: '1',
    by: 'alice',
  });

  it('names the hung handler, refuses the skip without the token, and with it moves the partition past the record into the dead-letter topic', async function () {
    this.timeout(90_000);
    await produceAccounts(topic);
    const explained = await explainedHangingHandler([server], watch);
    expect(explained[0].reason).to.deep.include({
      kind: 'handler-running',
      handler: 'LedgerController.post',
      offset: '1',
      key: 'acct-42',
    });

    const refused = await post(skip('skip-1'), null);
    expect(refused.status).to.equal(401);
    expect(refused.body).to.deep.include({ accepted: false, refusal: 'unauthorized' });
    expect(explainAMinuteLater([server], watch)[0]?.reason.kind).to.equal('handler-running');

    const taken = await post(skip('skip-2'), TOKEN);
    expect(taken).to.deep.equal({ status: 200, body: { accepted: true, id: 'skip-2' } });

    await eventually(
      () => server.connection.partitions[0]?.context.committedOffset === '3',
      'the committed offset past the skipped record',
      30_000,
      () => JSON.stringify(server.connection.partitions[0]?.context),
    );
    // NestJS's transport suffixes a server's group with -server.
    expect(await committedOffset(`${topic}-server`, topic)).to.equal('3');
    expect(explainAMinuteLater([server], watch)).to.deep.equal([]);
    expect(handled).to.have.members(['acct-1', 'acct-7']);

    const letter = await firstRecord(deadLetterTopic);
    expect(letter.key).to.equal('acct-42');
    expect(letter.value).to.equal('{"account":"acct-42"}');
    expect(letter.headers).to.include({
      [DeadLetterHeaders.SKIPPED_BY]: 'alice',
      [DeadLetterHeaders.ORIGINAL_TOPIC]: topic,
      [DeadLetterHeaders.ORIGINAL_OFFSET]: '1',
      [DeadLetterHeaders.HANDLER]: 'LedgerController.post',
      [DeadLetterHeaders.EXCEPTION_FQCN]: 'RecordSkipped',
    });
    expect(Number(letter.headers[DeadLetterHeaders.SKIPPED_AT])).to.be.greaterThan(0);

    // Skipped once, the record is no longer in flight: a second skip of it is stale.
    const again = await post(skip('skip-3'), TOKEN);
    expect(again.status).to.equal(409);
    expect(again.body).to.deep.include({ refusal: 'not-taken' });
    expect(String((again.body as { reason: string }).reason)).to.include('not in flight (stale)');
  });
});
