import { expect } from 'chai';
import { Container } from 'inversify';
import { Controller, EventPattern, KafkaServer, Payload, silentLogger } from '../../lib';
import { startInspector, type HandlerViews, type Inspector } from '../../lib/inspector';
import { useTestBroker } from '../support/global-broker';
import { createTopics, produceRecords, uniqueName } from '../support/kafka-fixtures';
import { eventually } from '../reliability/support/eventually';

describe('the handler and key views on a real broker (integration)', () => {
  before(async function () {
    // The shared broker starts with the first integration spec that needs it: on a busy machine, slowly.
    this.timeout(180_000);
    await useTestBroker();
  });

  it('shows real latencies, a failure and its dead letter, and keys waiting behind a slow one', async () => {
    const topic = uniqueName('views');
    await createTopics([
      { topic, numPartitions: 1 },
      { topic: `${topic}.dlt`, numPartitions: 1 },
    ]);
    let release: () => void = () => undefined;
    const hung = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];

    @Controller()
    class LedgerController {
      @EventPattern(topic, { deadLetter: true })
      async post(@Payload() entry: { account: string }): Promise<void> {
        if (entry.account === 'bad') throw new Error('no such account');
        if (entry.account === 'acct-42' && handled.length === 1) await hung;
        handled.push(entry.account);
      }
    }

    // Produced before the server starts: one fetch brings them all, so the waiting ones are known by key.
    await produceRecords(
      topic,
      ['acct-1', 'bad', 'acct-42', 'acct-42', 'acct-7'].map((account) => ({
        key: account,
        value: JSON.stringify({ account }),
      })),
    );
    const brokers = [...(await useTestBroker()).brokers];
    const container = new Container();
    container.bind(LedgerController).toSelf();
    const server = new KafkaServer(container, {
      client: { brokers, clientId: topic },
      consumer: { groupId: topic },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
    });
    let inspector: Inspector | undefined;
    try {
      // Started before the server: the views know only what happens after they subscribe.
      inspector = await startInspector({ sources: [server] });
      const url = inspector.url;
      await server.listen();
      const read = async (): Promise<HandlerViews> =>
        (await fetch(`${url}views`)).json() as Promise<HandlerViews>;
      let views: HandlerViews | undefined;
      await eventually(
        async () => {
          views = await read();
          return views.partitions[0]?.running[0]?.key === 'acct-42';
        },
        'the slow key to run',
        30_000,
        () => JSON.stringify(views),
      );
      const heldAt = Date.now();
      const [partition] = (views as HandlerViews).partitions;
      expect(partition).to.deep.include({ topic, partition: 0, runningRecords: 1, waitingRecords: 2 });
      expect(partition.running[0]).to.deep.include({ offset: '2', handler: 'LedgerController.post' });
      expect(partition.waiting.map(({ key, offset }) => ({ key, offset }))).to.have.deep.members([
        { key: 'acct-42', offset: '3' },
        { key: 'acct-7', offset: '4' },
      ]);
      const [ledger] = (views as HandlerViews).handlers;
      expect(ledger).to.deep.include({
        handler: 'LedgerController.post',
        pattern: topic,
        runs: 2,
        failures: 1,
        deadLetters: 1,
        windowRuns: 2,
      });
      expect(ledger.p50Ms).to.be.a('number');
      // The time travel has them too: a views entry of the history names the waiting key.
      await eventually(
        () =>
          inspector!.history
            .entries()
            .some(
              (entry) =>
                entry.kind === 'views' &&
                entry.views.partitions.some((p) => p.waiting.some(({ key }) => key === 'acct-7')),
            ),
        'a views entry in the history',
        10_000,
      );
      await eventually(() => Date.now() - heldAt >= 300, 'the slow run to last', 5_000);
      release();
      await eventually(
        async () => {
          views = await read();
          return handled.length === 4 && views.partitions.length === 0;
        },
        'the partition to move',
        30_000,
        () => JSON.stringify(views),
      );
      const [after] = (views as HandlerViews).handlers;
      expect(after).to.deep.include({ runs: 5, failures: 1, deadLetters: 1, windowRuns: 5 });
      // The held run is the slowest of five: it is the 99th percentile, and it lasted at least the hold.
      expect(after.p99Ms).to.be.at.least(300);
      expect(after.p50Ms).to.be.below(after.p99Ms as number);
    } finally {
      release();
      await server.close();
      await inspector?.close();
    }
  });
});
