import { expect } from 'chai';
import { Container } from 'inversify';
import {
  createTopics as createRxKafkaTopics,
  Controller,
  Ctx,
  DeadLetterHeaders,
  EventPattern,
  KafkaContext,
  KafkaServer,
  Payload,
  RedriveHeaders,
  redriveDeadLetters,
  registerControllers,
  RxKafkaError,
  silentLogger,
  type DeadLettersRedrivenPayload,
} from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { createTopics, produceRecords, uniqueName, withAdmin } from '../support/kafka-fixtures';
import { ChannelRecorder } from '../support/channel-recorder';
import { specDriver } from '../support/spec-driver';
import { eventually } from '../reliability/support/eventually';
import { headerText, readTopic } from '../reliability/support/raw-kafka';
import { Tally } from '../reliability/support/tally';

const PARTITIONS = 2;
const LETTERS = 20;

/** A handler that fails on every record until it is fixed. */
function createLedgerController(topic: string, dlt: string, runs: Tally<string>, state: { fixed: boolean }) {
  @Controller()
  class LedgerController {
    @EventPattern(topic, { deadLetter: dlt })
    handle(@Payload() entry: { id: string }, @Ctx() context: KafkaContext): void {
      runs.add(entry.id);
      if (!state.fixed) throw new Error(`ledger down for ${entry.id}`);
      if (headerText(context.getMessage() as never, 'tenant') !== 'acme')
        throw new Error('lost the user header');
    }
  }
  return LedgerController;
}

describe('redriveDeadLetters() (broker)', function () {
  const prefix = uniqueName('redrive');
  const topic = `${prefix}.ledger`;
  const dlt = `${topic}.failed`;
  const runs = new Tally<string>();
  const state = { fixed: false };
  const ids = Array.from({ length: LETTERS }, (_, index) => `e${index}`);
  const channels = new ChannelRecorder();
  let brokers: string[];
  let server: KafkaServer;

  before(async function () {
    this.timeout(120_000);
    brokers = [...(await useTestBroker()).brokers];
    await createTopics([
      { topic, numPartitions: PARTITIONS },
      { topic: dlt, numPartitions: PARTITIONS },
    ]);
    channels.start(['rxkafka:dead-letter:redriven']);
    const controller = createLedgerController(topic, dlt, runs, state);
    const container = new Container();
    registerControllers(container, [controller]);
    server = new KafkaServer(container, {
      controllers: [controller],
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
      ...specDriver(),
    });
    await server.listen();
  });

  after(async function () {
    this.timeout(60_000);
    channels.stop();
    await server?.close();
  });

  it('dead-letters every record of both partitions while the handler fails', async function () {
    this.timeout(60_000);
    await produceRecords(
      topic,
      ids.map((id, index) => ({
        key: `account-${index % 5}`,
        value: JSON.stringify({ id }),
        headers: { tenant: 'acme' },
      })),
    );
    const letters = await readTopic(brokers, dlt, (records) => records.length >= LETTERS);
    expect(new Set(letters.map(({ partition }) => partition))).to.have.property('size', PARTITIONS);
    for (const id of ids) expect(runs.count(id), `runs of ${id}`).to.equal(1);
  });

  it('writes each dead letter back once the handler is fixed, and reports it', async function () {
    this.timeout(60_000);
    state.fixed = true;
    const report = await redriveDeadLetters({
      topic: dlt,
      by: 'alice',
      client: { brokers },
      logger: silentLogger,
      ...specDriver(),
    });
    expect(report).to.include({
      topic: dlt,
      by: 'alice',
      redriven: LETTERS,
      groupId: `rxkafka-redrive-${dlt}`,
    });
    expect(report.skipped).to.deep.equal([]);
    expect(report.byTopic).to.deep.equal({ [topic]: LETTERS });
    await eventually(
      () => ids.every((id) => runs.count(id) === 2),
      'every record handled once more',
      30_000,
      () => ids.map((id) => `${id}:${runs.count(id)}`).join(' '),
    );
    const [event] = channels.on('rxkafka:dead-letter:redriven') as DeadLettersRedrivenPayload[];
    expect(event).to.include({ topic: dlt, by: 'alice', redriven: LETTERS, skipped: 0 });
  });

  it('writes the key, value and user headers back, without the dead-letter headers', async function () {
    this.timeout(30_000);
    const records = await readTopic(brokers, topic, (read) => read.length >= 2 * LETTERS);
    const redriven = records.filter(({ message }) => headerText(message, RedriveHeaders.FROM) !== undefined);
    expect(redriven).to.have.length(LETTERS);
    for (const { message } of redriven) {
      const { id } = JSON.parse(String(message.value)) as { id: string };
      const original = records.find(
        (read) =>
          read !== undefined &&
          headerText(read.message, RedriveHeaders.FROM) === undefined &&
          String(read.message.value) === String(message.value),
      );
      expect(String(message.key), `key of ${id}`).to.equal(String(original?.message.key));
      expect(headerText(message, 'tenant')).to.equal('acme');
      expect(headerText(message, RedriveHeaders.BY)).to.equal('alice');
      expect(headerText(message, RedriveHeaders.FROM)).to.match(
        new RegExp(`^${dlt.replace(/\./g, '\\.')}/[01]/\\d+$`),
      );
      expect(headerText(message, RedriveHeaders.AT)).to.match(/^\d+$/);
      for (const name of Object.values(DeadLetterHeaders))
        expect(headerText(message, name), name).to.equal(undefined);
    }
  });

  it('re-drives nothing the second time', async function () {
    this.timeout(60_000);
    const report = await redriveDeadLetters({
      topic: dlt,
      by: 'bob',
      client: { brokers },
      logger: silentLogger,
      ...specDriver(),
    });
    expect(report).to.include({ redriven: 0 });
    expect(report.skipped).to.deep.equal([]);
    for (const id of ids) expect(runs.count(id), `runs of ${id}`).to.equal(2);
  });

  it('skips and reports a dead letter without an original topic, or naming a missing one, and goes on', async function () {
    this.timeout(60_000);
    const missing = `${prefix}.nowhere`;
    await produceRecords(dlt, [
      { key: 'k', value: JSON.stringify({ id: 'bare' }), partition: 0 },
      {
        key: 'k',
        value: JSON.stringify({ id: 'lost' }),
        partition: 0,
        headers: { [DeadLetterHeaders.ORIGINAL_TOPIC]: missing },
      },
      {
        key: 'k',
        value: JSON.stringify({ id: 'good' }),
        partition: 0,
        headers: { [DeadLetterHeaders.ORIGINAL_TOPIC]: topic, tenant: 'acme' },
      },
    ]);
    const report = await redriveDeadLetters({
      topic: dlt,
      by: 'carol',
      client: { brokers },
      logger: silentLogger,
      ...specDriver(),
    });
    expect(report.redriven).to.equal(1);
    expect(report.skipped.map(({ reason, originalTopic }) => [reason, originalTopic])).to.deep.equal([
      ['no-original-topic', undefined],
      ['unknown-topic', missing],
    ]);
    expect(report.skipped.every(({ partition }) => partition === 0)).to.equal(true);
    await eventually(() => runs.count('good') === 1, 'the good dead letter handled', 30_000);
    const again = await redriveDeadLetters({
      topic: dlt,
      by: 'carol',
      client: { brokers },
      logger: silentLogger,
      ...specDriver(),
    });
    expect(again.redriven).to.equal(0);
    expect(again.skipped).to.deep.equal([]);
  });

  it('ends with the send’s error when Kafka refuses a write, keeping what was acknowledged before it', async function () {
    this.timeout(60_000);
    const failedDlt = `${prefix}.refused.dlt`;
    const small = `${prefix}.small`;
    await createTopics([{ topic: failedDlt }]);
    await createRxKafkaTopics({
      client: { brokers },
      topics: [{ topic: small, replicationFactor: 1, configs: { 'max.message.bytes': '1024' } }],
      logger: silentLogger,
    });
    await produceRecords(failedDlt, [
      {
        key: 'k',
        value: JSON.stringify({ id: 'fits' }),
        headers: { [DeadLetterHeaders.ORIGINAL_TOPIC]: topic, tenant: 'acme' },
      },
      { key: 'k', value: 'x'.repeat(4096), headers: { [DeadLetterHeaders.ORIGINAL_TOPIC]: small } },
    ]);
    const redrive = () =>
      redriveDeadLetters({
        topic: failedDlt,
        by: 'dave',
        client: { brokers },
        logger: silentLogger,
        ...specDriver(),
      });
    const failure = await redrive().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure, 'the re-drive’s rejection').to.be.instanceOf(Error);
    await eventually(
      () => runs.count('fits') === 1,
      'the dead letter before the refused one handled',
      30_000,
    );
    // The refused dead letter was not committed past: the next call tries it again, and only it.
    const again = await redrive().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(again).to.be.instanceOf(Error);
    expect((failure as RxKafkaError).code).to.equal('RXK_SEND_FAILED');
    // Written to the ledger topic: the 20 records, their 20 copies, 'good' and 'fits' once, nothing more.
    const ends = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
    expect(ends.reduce((sum, { high }) => sum + Number(high), 0)).to.equal(2 * LETTERS + 2);
  });
});
