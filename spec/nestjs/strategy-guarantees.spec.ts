import { expect } from 'chai';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { KafkaClient, silentLogger } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { uniqueName } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';
import { createTopicsReady } from '../interop/support/create-topics-ready';
import { eventually } from '../interop/support/eventually';
import { startNestApp, type NestTransport, type StartedNestApp } from './support/start-nest-app';
import {
  createWorkHooks,
  createWorkModule,
  nameWorkTopics,
  type WorkHooks,
  type WorkTopics,
} from './support/work-app';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A gate the slow handlers wait on until the spec opens it. */
function createGate(): { wait: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { wait: () => opened, open };
}

describe('What RxKafkaStrategy changes for a NestJS app (broker)', () => {
  let brokers: string[];
  let client: KafkaClient;
  const started: StartedNestApp[] = [];

  async function start(
    transport: NestTransport,
    hooks: WorkHooks,
    extras: Parameters<typeof startNestApp>[3] = {},
  ): Promise<{ topics: WorkTopics; app: StartedNestApp }> {
    const topics = nameWorkTopics(uniqueName(transport === 'RxKafkaStrategy' ? 'rx-work' : 'nest-work'));
    await createTopicsReady([
      { topic: topics.poison },
      { topic: topics.slow },
      { topic: topics.request },
      { topic: `${topics.request}.reply` },
    ]);
    const app = await startNestApp(
      createWorkModule(topics, hooks),
      transport,
      { brokers, groupId: uniqueName('work') },
      extras,
    );
    started.push(app);
    return { topics, app };
  }

  before(async () => {
    brokers = [...(await useTestBroker()).brokers];
    client = new KafkaClient({
      client: { brokers, clientId: uniqueName('work-client') },
      consumer: { groupId: uniqueName('work-client') },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
      requestTimeoutMs: 30_000,
      ...specDriver(),
    });
    await client.connect();
  });

  after(async () => {
    for (const { app } of started.splice(0)) await app.close();
    await client?.close();
  });

  describe('a poison record (its event handler throws)', () => {
    const records = [{ n: 1 }, { n: 2, poison: true }, { n: 3 }];

    it('no longer stalls its partition: the records after it are handled, and all are committed', async () => {
      const hooks = createWorkHooks(async () => undefined);
      const { topics, app } = await start('RxKafkaStrategy', hooks);
      for (const record of records) await lastValueFrom(client.emit(topics.poison, record));
      await eventually(() => hooks.poisonSeen.length === 3, 'every record to be handled');
      expect(hooks.poisonSeen).to.deep.equal(records);
      await eventually(
        () => app.strategy?.server.stats.recordsFinished === 3,
        'the three records to be finished',
      );
      expect(app.strategy?.server.stats.handlerFailures).to.equal(1);
      await app.app.close();
      started.splice(started.indexOf(app), 1);
      expect(app.strategy?.drainReport?.committed).to.deep.include({
        topic: topics.poison,
        partition: 0,
        offset: '3',
      });
    });

    it('on Transport.KAFKA, is delivered again and again while the record after it waits', async () => {
      const hooks = createWorkHooks(async () => undefined);
      const { topics } = await start('Transport.KAFKA', hooks);
      for (const record of records) await lastValueFrom(client.emit(topics.poison, record));
      await eventually(
        () => hooks.poisonSeen.filter((item) => (item as { poison?: boolean }).poison).length >= 2,
        'the poison record to come back',
      );
      expect(hooks.poisonSeen).not.to.deep.include({ n: 3 });
    });
  });

  describe('slow handlers on different keys of one partition', () => {
    const KEYS = 8;

    it("run concurrently with ordering: 'key' (all eight wait at once)", async () => {
      const gate = createGate();
      const hooks = createWorkHooks(gate.wait);
      const { topics } = await start('RxKafkaStrategy', hooks, { ordering: 'key' });
      await lastValueFrom(
        client.emitBatch(topics.slow, {
          messages: Array.from({ length: KEYS }, (_, i) => ({ key: `hero-${i}`, value: { i } })),
        }),
      );
      await eventually(() => hooks.inFlight === KEYS, `${KEYS} handlers in flight at once`);
      gate.open();
      await eventually(() => hooks.inFlight === 0, 'every handler to finish');
      expect(hooks.maxInFlight).to.equal(KEYS);
    });

    it('on Transport.KAFKA, run one at a time', async () => {
      const hooks = createWorkHooks(() => sleep(20));
      const { topics } = await start('Transport.KAFKA', hooks);
      await lastValueFrom(
        client.emitBatch(topics.slow, {
          messages: Array.from({ length: KEYS }, (_, i) => ({ key: `hero-${i}`, value: { i } })),
        }),
      );
      await eventually(() => hooks.finished === KEYS, 'every handler to finish');
      expect(hooks.maxInFlight).to.equal(1);
    });
  });

  describe('app.close()', () => {
    it('waits for an in-flight request, sends its reply, commits it, and reports', async () => {
      const gate = createGate();
      const hooks = createWorkHooks(gate.wait);
      const { topics, app } = await start('RxKafkaStrategy', hooks);
      const caller = new KafkaClient({
        client: { brokers, clientId: uniqueName('drain-client') },
        consumer: { groupId: uniqueName('drain-client') },
        subscribe: { fromBeginning: true },
        logger: silentLogger,
        ...specDriver(),
      });
      caller.subscribeToResponseOf(topics.request);
      await caller.connect();
      try {
        const reply = firstValueFrom(caller.send(topics.request, { hero: 'Ann' }));
        await eventually(() => hooks.requestsStarted.length === 1, 'the handler to start');
        const closing = app.app.close();
        gate.open();
        expect(await reply).to.deep.equal({ done: { hero: 'Ann' } });
        await closing;
        started.splice(started.indexOf(app), 1);
      } finally {
        await caller.close();
      }
      const report = app.strategy?.drainReport;
      expect(report).to.deep.include({ mode: 'drain', timedOut: false, recordsFinished: 1, repliesSent: 1 });
      expect(report?.committed).to.deep.include({ topic: topics.request, partition: 0, offset: '1' });
    });
  });
});
