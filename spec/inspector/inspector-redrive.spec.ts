import { expect } from 'chai';
import { Container } from 'inversify';
import { Controller, EventPattern, KafkaServer, registerControllers, silentLogger } from '../../lib';
import { startInspector, type Inspector } from '../../lib/inspector';
import { InspectorCommands, type RedriveRunner } from '../../lib/inspector/inspector-commands';
import type { RedriveEntry } from '../../lib/inspector/inspector-entry';
import type { RedriveReport } from '../../lib/redrive/redrive-dead-letters';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { RecordingLogger } from '../support/recording-logger';

const TOKEN = 'a-token-of-32-characters-for-ops';

@Controller()
class LedgerController {
  @EventPattern('ledger', { deadLetter: 'ledger.failed' })
  book(): void {}

  @EventPattern('payments', { retryTopics: { delaysMs: [100], createTopics: true } })
  pay(): void {}

  @EventPattern('audit')
  audit(): void {}
}

describe('the inspector’s redrive command (on a fake driver)', () => {
  let driver: FakeKafkaDriver;
  let server: KafkaServer;
  let logger: RecordingLogger;
  let nextId = 0;

  beforeEach(async () => {
    driver = new FakeKafkaDriver();
    driver.capabilities = { joinsAfterConsume: true, pausesPartitions: true };
    const container = new Container();
    registerControllers(container, [LedgerController]);
    server = new KafkaServer(container, { driver, logger: silentLogger });
    await server.listen();
    logger = new RecordingLogger();
  });

  afterEach(async () => {
    await server.close();
  });

  const redrive = (overrides: Record<string, unknown> = {}) =>
    JSON.stringify({
      id: `command-${++nextId}`,
      type: 'redrive',
      topic: 'ledger.failed',
      by: 'alice',
      ...overrides,
    });

  /** Commands whose re-drives are `run`, and the history entries they record. */
  function createCommands(run: RedriveRunner) {
    const entries: Array<Omit<RedriveEntry, 'seq' | 'member'>> = [];
    const commands = new InspectorCommands([{ name: 'ledger', source: server }], logger, {
      token: TOKEN,
      record: (entry) => {
        if (entry.kind === 'redrive') entries.push(entry);
      },
      redrive: run,
    });
    return { commands, entries };
  }

  const report = (topic: string, by: string): RedriveReport => ({
    topic,
    groupId: `rxkafka-redrive-${topic}`,
    by,
    redriven: 3,
    skipped: [{ partition: 0, offset: '4', reason: 'no-original-topic' }],
    byTopic: { ledger: 3 },
    durationMs: 5,
  });

  it('knows the server’s dead-letter topics: a handler’s deadLetter and a retry plan’s <topic>.dlt', () => {
    expect(server.deadLetterTopics).to.deep.equal(['ledger.failed', 'payments.dlt']);
  });

  it('answers 202, runs the re-drive through the server’s driver, and records its start and outcome', async () => {
    const asked: Array<{ topic: string; by: string; driver: unknown }> = [];
    const { commands, entries } = createCommands(async ({ topic, by, driver: used }) => {
      asked.push({ topic, by, driver: used });
      return report(topic, by);
    });
    const answer = await commands.handle(`Bearer ${TOKEN}`, redrive({ id: 'r1' }), 'spec');
    expect(answer).to.deep.equal({ status: 202, body: { accepted: true, id: 'r1' } });
    await commands.settled();
    expect(asked).to.deep.equal([{ topic: 'ledger.failed', by: 'alice', driver }]);
    expect(entries.map(({ outcome, topic, by, id }) => ({ outcome, topic, by, id }))).to.deep.equal([
      { outcome: 'started', topic: 'ledger.failed', by: 'alice', id: 'r1' },
      { outcome: 'done', topic: 'ledger.failed', by: 'alice', id: 'r1' },
    ]);
    expect(entries[1]).to.include({ redriven: 3, skipped: 1 });
    expect(entries[1].byTopic).to.deep.equal({ ledger: 3 });
    expect(logger.entries.map((entry) => entry.message).join('\n')).to.include('3 re-driven, 1 skipped');
  });

  it('records a failed re-drive with its reason', async () => {
    const { commands, entries } = createCommands(async () => {
      throw new Error('the broker is gone');
    });
    expect(
      (await commands.handle(`Bearer ${TOKEN}`, redrive({ topic: 'payments.dlt' }), 'spec')).status,
    ).to.equal(202);
    await commands.settled();
    expect(entries.at(-1)).to.include({
      outcome: 'failed',
      topic: 'payments.dlt',
      error: 'the broker is gone',
    });
  });

  it('refuses a topic that is no dead-letter topic of the servers with 409, listing those', async () => {
    let runs = 0;
    const { commands, entries } = createCommands(async ({ topic, by }) => {
      runs += 1;
      return report(topic, by);
    });
    for (const topic of ['ledger', 'audit.dlt', 'orders.dlt']) {
      const answer = await commands.handle(`Bearer ${TOKEN}`, redrive({ topic }), 'spec');
      expect(answer.status, topic).to.equal(409);
      expect(answer.body).to.include({ accepted: false, refusal: 'not-dead-letter-topic' });
      expect(String((answer.body as { reason: string }).reason)).to.include('ledger.failed, payments.dlt');
    }
    expect(runs).to.equal(0);
    expect(entries).to.deep.equal([]);
  });

  it('refuses a second re-drive of a topic while the first runs, and a replayed id', async () => {
    let finish: (() => void) | undefined;
    const { commands } = createCommands(
      ({ topic, by }) => new Promise((resolve) => (finish = () => resolve(report(topic, by)))),
    );
    expect((await commands.handle(`Bearer ${TOKEN}`, redrive({ id: 'first' }), 'spec')).status).to.equal(202);
    const busy = await commands.handle(`Bearer ${TOKEN}`, redrive(), 'spec');
    expect(busy.status).to.equal(409);
    expect(busy.body).to.include({ refusal: 'busy' });
    const replayed = await commands.handle(`Bearer ${TOKEN}`, redrive({ id: 'first' }), 'spec');
    expect(replayed.body).to.include({ refusal: 'replayed' });
    finish?.();
    await commands.settled();
    expect((await commands.handle(`Bearer ${TOKEN}`, redrive(), 'spec')).status).to.equal(202);
    finish?.();
    await commands.settled();
  });

  it('refuses a malformed redrive with 400 and a missing token with 401', async () => {
    const { commands } = createCommands(async ({ topic, by }) => report(topic, by));
    const noTopic = await commands.handle(`Bearer ${TOKEN}`, redrive({ topic: '' }), 'spec');
    expect(noTopic.status).to.equal(400);
    expect(String((noTopic.body as { reason: string }).reason)).to.include(
      'topic must be a non-empty string',
    );
    const blankBy = await commands.handle(`Bearer ${TOKEN}`, redrive({ by: ' ' }), 'spec');
    expect(blankBy.status).to.equal(400);
    expect((await commands.handle(undefined, redrive(), 'spec')).status).to.equal(401);
  });

  context('through POST /commands', () => {
    let inspector: Inspector | undefined;

    afterEach(async () => {
      await inspector?.close();
      inspector = undefined;
    });

    it('re-drives an empty dead-letter topic on the fake driver and adds both entries to the history', async () => {
      inspector = await startInspector({
        sources: [{ name: 'ledger', source: server }],
        commands: { token: TOKEN },
        logger,
      });
      const response = await fetch(new URL('commands', inspector.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: redrive({ id: 'http-1' }),
      });
      expect(response.status).to.equal(202);
      const outcome = async () =>
        inspector!.history.entries().filter((entry): entry is RedriveEntry => entry.kind === 'redrive');
      for (let tries = 0; tries < 100 && (await outcome()).length < 2; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const [started, done] = await outcome();
      expect(started).to.include({ outcome: 'started', topic: 'ledger.failed', source: 'inspector' });
      expect(done).to.include({ outcome: 'done', redriven: 0, skipped: 0 });
    });
  });
});
