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
import { startInspector, type Inspector } from '../../lib/inspector';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { RecordingLogger } from '../support/recording-logger';

const TOKEN = 'a-token-of-32-characters-for-ops';

@Controller()
class OrdersController {
  @EventPattern('orders.placed')
  place(): void {}
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

describe('the inspector’s commands, POST /commands (on a fake driver)', () => {
  let driver: FakeKafkaDriver;
  let server: KafkaServer;
  let inspector: Inspector | undefined;
  let logger: RecordingLogger;
  let nextId = 0;

  beforeEach(async () => {
    driver = new FakeKafkaDriver();
    driver.capabilities = { joinsAfterConsume: true, pausesPartitions: true };
    const container = new Container();
    registerControllers(container, [OrdersController]);
    server = new KafkaServer(container, { driver, logger: silentLogger });
    await server.listen();
    logger = new RecordingLogger();
  });

  afterEach(async () => {
    await inspector?.close();
    inspector = undefined;
    await server.close();
  });

  async function start(commands?: { token?: string }): Promise<Inspector> {
    inspector = await startInspector({ sources: [{ name: 'orders', source: server }], commands, logger });
    return inspector;
  }

  /** Posts `body` with `token` (null: without an authorization header). */
  async function post(body: unknown, token: string | null = TOKEN): Promise<Answer> {
    const response = await fetch(new URL('commands', inspector!.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const pause = (overrides: Record<string, unknown> = {}) => ({
    id: `command-${++nextId}`,
    source: 'orders',
    type: 'pause',
    topic: 'orders.placed',
    partition: 0,
    by: 'alice',
    ...overrides,
  });

  const partitionState = () => server.connection.partitions[0]?.state;

  it('pauses and resumes a partition of a source, as an edge of its actor', async () => {
    await start({ token: TOKEN });
    const paused = await post(pause());
    expect(paused).to.deep.equal({ status: 200, body: { accepted: true, id: `command-${nextId}` } });
    expect(partitionState()).to.equal('paused');
    expect(server.connection.partitions[0].context.pausedBy).to.equal('alice');
    expect(driver.consumer.pauses).to.deep.equal(['pause orders.placed/0']);

    const resumed = await post(pause({ type: 'resume' }));
    expect(resumed.status).to.equal(200);
    expect(partitionState()).to.equal('idle');
    expect(driver.consumer.pauses).to.deep.equal(['pause orders.placed/0', 'resume orders.placed/0']);
    expect(logger.find('info', 'inspector: alice paused orders.placed/0 of orders')).to.have.length(1);
  });

  it('refuses every command while commands are off (the default): the inspector only shows', async () => {
    await start();
    const answer = await post(pause());
    expect(answer.status).to.equal(403);
    expect(answer.body).to.include({ accepted: false, refusal: 'commands-off' });
    expect(partitionState()).to.equal('idle');
    expect(inspector!.commandToken).to.equal(undefined);
  });

  it('refuses a missing or wrong token with 401, and logs it without the token’s value', async () => {
    await start({ token: TOKEN });
    const missing = await post(pause(), null);
    const wrong = await post(pause(), 'not-the-token-but-as-long-as-it');
    for (const answer of [missing, wrong]) {
      expect(answer.status).to.equal(401);
      expect(answer.body).to.include({ accepted: false, refusal: 'unauthorized' });
    }
    expect(partitionState()).to.equal('idle');
    const lines = logger.find('warn', 'was refused');
    expect(lines.map((line) => line.message)).to.deep.equal([
      'inspector: a command from 127.0.0.1 was refused: no token',
      'inspector: a command from 127.0.0.1 was refused: a wrong token',
    ]);
    expect(JSON.stringify(logger.entries)).to.not.include('not-the-token');
    expect(JSON.stringify(logger.entries)).to.not.include(TOKEN);
  });

  it('refuses a body that is not a command with 400, naming what is wrong', async () => {
    await start({ token: TOKEN });
    const cases: Array<[unknown, string]> = [
      ['{"id": ', 'the body is not JSON'],
      [[1, 2], 'the body is not a JSON object'],
      [pause({ id: '' }), 'id must be a non-empty string'],
      [
        pause({ type: 'skips' }),
        'type must be "pause", "resume", "skip", "drain", "stop" or "redrive", got "skips"',
      ],
      [pause({ member: '' }), 'member must be a non-empty string'],
      [pause({ type: 'skip', offset: 3 }), 'offset must be a whole number written as a string of digits'],
      [pause({ type: 'skip', offset: '3.5' }), 'offset must be a whole number written as a string of digits'],
      [pause({ partition: -1 }), 'partition must be a whole number of 0 or more, got -1'],
      [pause({ partition: '0' }), 'partition must be a whole number of 0 or more, got "0"'],
      [pause({ topic: 7 }), 'topic must be a non-empty string'],
    ];
    for (const [body, reason] of cases) {
      const answer = await post(body);
      expect(answer.status, JSON.stringify(body)).to.equal(400);
      expect(answer.body).to.include({ accepted: false, refusal: 'malformed' });
      expect(String(answer.body.reason)).to.include(reason);
    }
    expect(partitionState()).to.equal('idle');
  });

  it('refuses an unknown source with 404, listing the sources', async () => {
    await start({ token: TOKEN });
    const answer = await post(pause({ source: 'payments' }));
    expect(answer).to.deep.equal({
      status: 404,
      body: {
        accepted: false,
        refusal: 'unknown-source',
        reason: 'no source named "payments": the sources are orders',
      },
    });
  });

  it('refuses what the partition’s actor does not take now, and an unknown partition, with 409 and the reason', async () => {
    await start({ token: TOKEN });
    const notPaused = await post(pause({ type: 'resume' }));
    expect(notPaused.status).to.equal(409);
    expect(notPaused.body).to.deep.include({
      refusal: 'not-taken',
      reason: 'partition orders.placed/0 is idle: only a paused partition can be resumed',
    });
    const unknown = await post(pause({ partition: 9 }));
    expect(unknown.status).to.equal(409);
    expect(String(unknown.body.reason)).to.match(
      /^partition orders\.placed\/9 is not assigned to connection /,
    );
    expect(driver.consumer.pauses).to.deep.equal([]);
  });

  it('routes a skip to the server, which refuses a record not in flight with 409 and the reason', async () => {
    await start({ token: TOKEN });
    const stale = await post(pause({ type: 'skip', offset: '5' }));
    expect(stale.status).to.equal(409);
    expect(stale.body).to.deep.include({
      refusal: 'not-taken',
      reason:
        'offset 5 of orders.placed/0 is not in flight (stale): its handlers finished already, or it was never fetched',
    });
    expect(driver.producer.records).to.deep.equal([]);
  });

  it('refuses a command id seen before, changing nothing', async () => {
    await start({ token: TOKEN });
    const command = pause();
    expect((await post(command)).status).to.equal(200);
    await post(pause({ type: 'resume' }));
    const replayed = await post(command);
    expect(replayed.status).to.equal(409);
    expect(replayed.body).to.include({ refusal: 'replayed' });
    expect(partitionState()).to.equal('idle');
    expect(driver.consumer.pauses).to.have.length(2);
  });

  it('keeps each command run or refused by an actor in the history, with who asked and what came of it', async () => {
    const started = await start({ token: TOKEN });
    const first = pause();
    await post(first);
    await post(pause({ type: 'pause' }));
    const commands = started.history.entries().filter((entry) => entry.kind === 'command');
    expect(commands.map(({ seq: _seq, at: _at, member: _member, ...rest }) => rest)).to.deep.equal([
      {
        kind: 'command',
        source: 'orders',
        id: first.id,
        type: 'pause',
        topic: 'orders.placed',
        partition: 0,
        by: 'alice',
        accepted: true,
      },
      {
        kind: 'command',
        source: 'orders',
        id: `command-${nextId}`,
        type: 'pause',
        topic: 'orders.placed',
        partition: 0,
        by: 'alice',
        accepted: false,
        reason: 'partition orders.placed/0 is paused: only an idle or processing partition can be paused',
      },
    ]);
  });

  it('drains a source in the background (202), and refuses to drain it again', async () => {
    await start({ token: TOKEN });
    const drained = await post({ id: 'drain-1', source: 'orders', type: 'drain', by: 'alice' });
    expect(drained).to.deep.equal({ status: 202, body: { accepted: true, id: 'drain-1' } });
    const deadline = Date.now() + 10_000;
    while (server.connection.state !== 'stopped' && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.connection.state).to.equal('stopped');
    const again = await post({ id: 'drain-2', source: 'orders', type: 'stop' });
    expect(again.status).to.equal(409);
    expect(again.body).to.deep.include({
      refusal: 'not-taken',
      reason: 'orders is stopped: there is nothing to stop',
    });
  });

  it('refuses a command for another member when it follows no fleet, naming this one', async () => {
    await start({ token: TOKEN });
    const answer = await post(pause({ member: 'elsewhere:1' }));
    expect(answer.status).to.equal(404);
    expect(answer.body).to.include({ refusal: 'unknown-member' });
    expect(String(answer.body.reason)).to.match(
      /^member "elsewhere:1" is not this process \(.+\), and this inspector follows no fleet$/,
    );
  });

  it('refuses a body over 16 KB with 413, and anything but POST with 405', async () => {
    await start({ token: TOKEN });
    const large = await post(pause({ by: 'x'.repeat(20_000) }));
    expect(large.status).to.equal(413);
    const get = await fetch(new URL('commands', inspector!.url));
    expect(get.status).to.equal(405);
  });

  it('makes a random token when none is given, logs it once and hands it out as commandToken', async () => {
    const started = await start({});
    const token = started.commandToken!;
    expect(token).to.match(/^[A-Za-z0-9_-]{32}$/);
    const lines = logger.find('warn', 'inspector commands are on');
    expect(lines).to.have.length(1);
    expect(lines[0].message).to.include(token);
    expect((await post(pause(), token)).status).to.equal(200);
  });

  it('refuses at start a token shorter than 16 characters', async () => {
    const short = await startInspector({ commands: { token: 'short' }, logger }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(RxKafkaError.isRxKafkaError(short) && short.code).to.equal('RXK_INVALID_OPTIONS');
    expect((short as Error).message).to.include('commands.token must be a string of at least 16 characters');
  });
});
