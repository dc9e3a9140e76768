import { expect } from 'chai';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { projection, type Projection, type ProjectionOptions, type ReplayRecord } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { createTopics, testKafka, uniqueName, withAdmin } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';
import { RecordingLogger } from '../support/recording-logger';

interface Deposit {
  readonly account: string;
  readonly amount: number;
}

interface Balances {
  readonly totals: Readonly<Record<string, number>>;
  readonly count: number;
}

const EMPTY: Balances = { totals: {}, count: 0 };

/** The spec's reducer: per-account totals and a record count (order-independent across partitions). */
function addDeposit(state: Balances, record: Pick<ReplayRecord<unknown>, 'value'>): Balances {
  const { account, amount } = record.value as Deposit;
  if (amount < 0) throw new Error(`negative deposit ${amount}`);
  return {
    totals: { ...state.totals, [account]: (state.totals[account] ?? 0) + amount },
    count: state.count + 1,
  };
}

function deposits(from: number, count: number): Deposit[] {
  return Array.from({ length: count }, (_, i) => ({
    account: `acc-${(from + i) % 5}`,
    amount: from + i + 1,
  }));
}

async function produce(topic: string, values: readonly unknown[], key?: string) {
  // Idempotent: a send retried right after the topic's creation ("not the leader") would otherwise write
  // its records twice.
  const producer = (await testKafka()).producer({ idempotent: true });
  await producer.connect();
  try {
    return await producer.send({
      topic,
      messages: values.map((value, i) => ({
        key: key ?? `k${i % 7}`,
        value: typeof value === 'string' ? value : JSON.stringify(value),
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

async function options(extra: ProjectionOptions<Balances> = {}): Promise<ProjectionOptions<Balances>> {
  const { brokers } = await useTestBroker();
  return { client: { brokers: [...brokers] }, logger: new RecordingLogger(), ...specDriver(), ...extra };
}

async function endOffsetTotal(topic: string): Promise<number> {
  const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
  return offsets.reduce((sum, { high }) => sum + Number(high), 0);
}

async function caughtUp(view: Projection<Balances>): Promise<void> {
  await firstValueFrom(view.caughtUp$);
}

describe('projection() against a broker', function () {
  this.timeout(60_000);

  context('with snapshots', () => {
    it('restarts from its latest snapshot to the state a full replay folds, applying only the records after it, and logs no error', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('projection-src'), numPartitions: 3 }]);
      const snapshotTopic = uniqueName('projection-snap');
      const name = uniqueName('balances');
      const snapshotting = { name, snapshots: { topic: snapshotTopic, every: 25 } };
      await produce(topic, deposits(0, 60));

      const first = projection(topic, addDeposit, EMPTY, await options(snapshotting));
      await caughtUp(first);
      expect(first.state.count).to.equal(60);
      await first.close();
      expect(first.snapshotsWritten).to.be.at.least(3); // at 25, at 50, and at close() (60)

      await produce(topic, deposits(60, 40));
      const restartLogger = new RecordingLogger();
      const restarted = projection(
        topic,
        addDeposit,
        EMPTY,
        await options({ ...snapshotting, logger: restartLogger }),
      );
      const full = projection(topic, addDeposit, EMPTY, await options());
      try {
        await Promise.all([caughtUp(restarted), caughtUp(full)]);

        const covered = Object.values(restarted.restoredFrom ?? {}).reduce((sum, o) => sum + Number(o), 0);
        expect(covered).to.equal(60);
        expect(restarted.applied).to.equal((await endOffsetTotal(topic)) - covered);
        expect(full.restoredFrom).to.equal(undefined);
        expect(full.applied).to.equal(100);
        const folded = deposits(0, 100).reduce((state, value) => addDeposit(state, { value }), EMPTY);
        expect(restarted.state).to.deep.equal(folded);
        expect(full.state).to.deep.equal(folded);
        // Its snapshot topic exists by now: no ERROR line for trying to create it again.
        expect(restartLogger.entries.filter(({ level }) => level === 'error')).to.deep.equal([]);
      } finally {
        await Promise.all([restarted.close(), full.close()]);
      }
    });

    it('creates its snapshot topic compacted, and keys each snapshot by its name', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('projection-src'), numPartitions: 2 }]);
      const snapshotTopic = uniqueName('projection-snap');
      const name = uniqueName('balances');
      await produce(topic, deposits(0, 10));
      const view = projection(
        topic,
        addDeposit,
        EMPTY,
        await options({ name, snapshots: { topic: snapshotTopic, every: 100 } }),
      );
      await caughtUp(view);
      await view.close();

      const configs = await withAdmin((admin) =>
        admin.describeConfigs({
          resources: [{ type: 2, name: snapshotTopic, configNames: ['cleanup.policy'] }],
          includeSynonyms: false,
        }),
      );
      const snapshots: Array<{ key: string; value: Record<string, unknown> }> = [];
      const consumer = (await testKafka()).consumer({ groupId: uniqueName('spec-snapshot-reader') });
      await consumer.connect();
      await consumer.subscribe({ topics: [snapshotTopic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) =>
          void snapshots.push({ key: String(message.key), value: JSON.parse(String(message.value)) }),
      });
      const deadline = Date.now() + 20_000;
      while (snapshots.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await consumer.disconnect();

      expect(configs.resources[0].configEntries[0]).to.include({
        configName: 'cleanup.policy',
        configValue: 'compact',
      });
      expect(snapshots).to.have.length(1); // every 100 never came: the one written at close()
      expect(snapshots[0].key).to.equal(name);
      const written = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
      expect(snapshots[0].value).to.deep.equal({
        version: 1,
        sourceTopic: topic,
        offsets: Object.fromEntries(written.map(({ partition, high }) => [partition, high])),
        state: deposits(0, 10).reduce((state, value) => addDeposit(state, { value }), EMPTY),
      });
    });

    for (const [what, value] of [
      ['a garbage value', 'not json {'],
      [
        'a snapshot of another topic',
        JSON.stringify({ version: 1, sourceTopic: 'other', offsets: { 0: '5' }, state: EMPTY }),
      ],
      [
        'a snapshot that covers other partitions',
        JSON.stringify({ version: 1, sourceTopic: '<topic>', offsets: { 0: '1' }, state: EMPTY }),
      ],
    ] as const) {
      it(`ignores ${what} with a warning and rebuilds from scratch`, async () => {
        const [topic, snapshotTopic] = await createTopics([
          { topic: uniqueName('projection-src'), numPartitions: 2 },
          { topic: uniqueName('projection-snap') },
        ]);
        const name = uniqueName('balances');
        await produce(topic, deposits(0, 12));
        await produce(snapshotTopic, [value.replace('<topic>', topic)], name);
        const logger = new RecordingLogger();
        const view = projection(
          topic,
          addDeposit,
          EMPTY,
          await options({ name, logger, snapshots: { topic: snapshotTopic, every: 1000 } }),
        );
        try {
          await caughtUp(view);

          expect(logger.find('warn', `projection ${name}: ignoring its snapshot`)).to.have.length(1);
          expect(view.restoredFrom).to.equal(undefined);
          expect(view.applied).to.equal(12);
          expect(view.state).to.deep.equal(
            deposits(0, 12).reduce((state, v) => addDeposit(state, { value: v }), EMPTY),
          );
        } finally {
          await view.close();
        }
      });
    }
  });

  describe('.waitFor()', () => {
    it('resolves once the projection applied the offsets a producer got back, with the write in its state', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('projection-rw'), numPartitions: 3 }]);
      await produce(topic, deposits(0, 9));
      const view = projection(topic, addDeposit, EMPTY, await options());
      try {
        await caughtUp(view);
        const written = await produce(topic, [{ account: 'acc-new', amount: 1234 }]);

        await view.waitFor(written);

        expect(view.state.totals['acc-new']).to.equal(1234);
        expect(view.state.count).to.equal(10);
      } finally {
        await view.close();
      }
    });

    it('rejects with RXK_PROJECTION_TIMEOUT when the offsets are not applied in time', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('projection-timeout') }]);
      const view = projection(topic, addDeposit, EMPTY, await options());
      try {
        await caughtUp(view);
        const error = await view
          .waitFor([{ partition: 0, offset: 50 }], { timeoutMs: 200 })
          .catch((e: unknown) => e);
        expect(error).to.have.property('code', 'RXK_PROJECTION_TIMEOUT');
      } finally {
        await view.close();
      }
    });

    it('rejects pending waits with RXK_PROJECTION_CLOSED on close()', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('projection-closed') }]);
      const view = projection(topic, addDeposit, EMPTY, await options());
      await caughtUp(view);
      const waiting = view.waitFor([{ partition: 0, offset: 50 }], { timeoutMs: 0 }).catch((e: unknown) => e);

      await view.close();

      expect(await waiting).to.have.property('code', 'RXK_PROJECTION_CLOSED');
    });
  });

  context('when the reducer throws', () => {
    it('stops: state$ errors with RXK_REDUCER_FAILED naming the record, and the error is logged', async () => {
      const [topic] = await createTopics([{ topic: uniqueName('projection-throws') }]);
      await produce(topic, [...deposits(0, 3), { account: 'acc-x', amount: -1 }, ...deposits(3, 3)]);
      const logger = new RecordingLogger();
      const view = projection(topic, addDeposit, EMPTY, await options({ logger }));

      const error = await lastValueFrom(view.state$).catch((e: unknown) => e);
      await view.close();

      expect(error).to.have.property('code', 'RXK_REDUCER_FAILED');
      expect((error as Error).message).to.contain(`${topic}/0 offset 3`);
      expect((error as Error).cause).to.have.property('message', 'negative deposit -1');
      expect(view.state.count).to.equal(3);
      expect(logger.find('error', 'failed')).to.have.length(1);
    });
  });
});
