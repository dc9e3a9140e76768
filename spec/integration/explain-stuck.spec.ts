import { expect } from 'chai';
import { Container } from 'inversify';
import { Controller, EventPattern, KafkaServer, Payload, silentLogger } from '../../lib';
import { explainStuck, StuckWatch, type StuckExplanation } from '../../lib/inspector';
import { useTestBroker } from '../support/global-broker';
import { createTopics, produceRecords, uniqueName } from '../support/kafka-fixtures';
import { eventually } from '../reliability/support/eventually';

describe('explainStuck() on a real broker (integration)', () => {
  before(async function () {
    // The shared broker starts with the first integration spec that needs it: on a busy machine, slowly.
    this.timeout(180_000);
    await useTestBroker();
  });

  it('names the handler, offset and key a hanging handler holds its partition on', async () => {
    const topic = uniqueName('stuck');
    await createTopics([{ topic, numPartitions: 1 }]);
    let release: () => void = () => undefined;
    const hung = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];

    @Controller()
    class LedgerController {
      @EventPattern(topic)
      async post(@Payload() entry: { account: string }): Promise<void> {
        if (entry.account === 'acct-42') await hung;
        handled.push(entry.account);
      }
    }

    const brokers = [...(await useTestBroker()).brokers];
    const container = new Container();
    container.bind(LedgerController).toSelf();
    // Started with the process, before any handler runs: it knows only the runs it saw start.
    const watch = new StuckWatch();
    const server = new KafkaServer(container, {
      client: { brokers, clientId: topic },
      consumer: { groupId: topic },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
    });
    try {
      await server.listen();
      await produceRecords(
        topic,
        ['acct-1', 'acct-42', 'acct-7'].map((account) => ({
          key: account,
          value: JSON.stringify({ account }),
        })),
      );
      // A minute ahead: everything that stood still since now is past the 30 s threshold.
      const explainLater = () => explainStuck([server], { watch, now: () => Date.now() + 60_500 });
      let explained: StuckExplanation[] = [];
      await eventually(
        () => {
          explained = explainLater();
          return explained[0]?.reason.kind === 'handler-running';
        },
        'the hanging handler',
        30_000,
        () => JSON.stringify(explained),
      );
      expect(handled).to.deep.equal(['acct-1']);
      expect(explained).to.have.length(1);
      const [stuck] = explained;
      expect(stuck).to.deep.include({ source: 'server', topic, partition: 0 });
      expect(stuck.reason).to.deep.include({
        kind: 'handler-running',
        handler: 'LedgerController.post',
        pattern: topic,
        offset: '1',
        key: 'acct-42',
      });
      expect(stuck.sentence).to.match(
        new RegExp(
          `^server ${topic}/0 has not committed past (its start|offset 1) for 6\\d s: LedgerController\\.post \\(${topic}\\) ` +
            'has been running on offset 1, key "acct-42" for \\d+ s$',
        ),
      );
      // Released, the partition moves on, and nothing is stuck any more.
      release();
      await eventually(
        () => handled.length === 3 && explainLater().length === 0,
        'the partition to move',
        30_000,
      );
    } finally {
      release();
      watch.close();
      await server.close();
    }
  });
});
