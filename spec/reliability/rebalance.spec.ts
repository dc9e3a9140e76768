import { expect } from 'chai';
import { Container } from 'inversify';
import { lastValueFrom } from 'rxjs';
import { Controller, KafkaClient, KafkaServer, MessagePattern, Payload, silentLogger } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { createTopics, uniqueName } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';
import { eventually } from './support/eventually';
import { Tally } from './support/tally';

const REQUESTS = 10_000;
const IN_FLIGHT = 200;
/** Requests from this id on wait until the second server has joined; from the next, until it has left. */
const HELD_UNTIL_JOINED = 4_000;
const HELD_UNTIL_LEFT = 8_000;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** Echoes the job id and counts each run per job id in `runs` and per server in `byServer`. */
function createEchoController(topic: string, runs: Tally, byServer: Tally<string>, server: string) {
  @Controller()
  class EchoController {
    @MessagePattern(topic)
    echo(@Payload() job: { id: number }): { id: number } {
      runs.add(job.id);
      byServer.add(server);
      return { id: job.id };
    }
  }
  return EchoController;
}

describe('a server joining and leaving the group (reliability)', () => {
  it('answers every one of 10,000 requests while a second server joins and later leaves', async function () {
    this.timeout(300_000);
    const { brokers } = await useTestBroker();
    const topic = uniqueName('rebalance');
    const groupId = uniqueName('rebalance-group');
    await createTopics([{ topic, numPartitions: 6 }, { topic: `${topic}.reply` }]);

    const runs = new Tally();
    const byServer = new Tally<string>();
    const createServer = (name: string): KafkaServer => {
      const controller = createEchoController(topic, runs, byServer, name);
      const container = new Container();
      container.bind(controller).toSelf().inSingletonScope();
      return new KafkaServer(container, {
        controllers: [controller],
        client: { brokers: [...brokers], clientId: `${topic}-${name}` },
        // Members learn of a rebalance at their next heartbeat (kafkajs: every 3 s): beat often, so the
        // second server joins and leaves while the stream still runs.
        consumer: { groupId, heartbeatInterval: 500 },
        subscribe: { fromBeginning: true },
        logger: silentLogger,
        ...specDriver(),
      });
    };
    const client = new KafkaClient({
      client: { brokers: [...brokers], clientId: topic },
      consumer: { groupId: uniqueName('rebalance-client') },
      logger: silentLogger,
      // A rebalance pauses the partitions moving between members for a few seconds; nothing is lost meanwhile.
      requestTimeoutMs: 120_000,
      ...specDriver(),
    });
    client.subscribeToResponseOf(topic);

    let stopSending = (): void => undefined;
    const first = createServer('first');
    const second = createServer('second');
    try {
      await first.listen();
      await client.connect();

      const replies = new Tally();
      const wrongReplies: Array<{ sent: number; got: number }> = [];
      const errors: unknown[] = [];
      // IN_FLIGHT senders share the ids in order. The stream is held twice, so a fast machine cannot answer
      // it all before the second server joins, or before it leaves: requests keep coming after each change of
      // the group, whatever the pace.
      const joined = deferred();
      const left = deferred();
      let next = 0;
      stopSending = () => {
        next = REQUESTS;
        joined.resolve();
        left.resolve();
      };
      const sendAll = async (): Promise<void> => {
        while (next < REQUESTS) {
          const id = next++;
          if (id >= HELD_UNTIL_LEFT) await left.promise;
          else if (id >= HELD_UNTIL_JOINED) await joined.promise;
          try {
            const reply = await lastValueFrom(client.send<{ id: number }>(topic, { id }));
            replies.add(id);
            if (reply.id !== id) wrongReplies.push({ sent: id, got: reply.id });
          } catch (error) {
            errors.push(error);
          }
        }
      };
      const stream = Promise.all(Array.from({ length: IN_FLIGHT }, sendAll));

      await eventually(() => replies.total >= 2_000, '2,000 replies before the second server joins', 120_000);
      await second.listen();
      joined.resolve();
      await eventually(
        () => byServer.count('second') >= 500,
        'the second server to handle 500 requests',
        120_000,
        () => `${replies.total} replies so far`,
      );
      const secondReport = await second.close();
      const repliesWhenSecondLeft = replies.total;
      left.resolve();
      await stream;
      const firstReport = await first.close();

      process.stdout.write(
        `      [rebalance] ${REQUESTS} requests, ${IN_FLIGHT} in flight; replies ${replies.total} ` +
          `(${repliesWhenSecondLeft} when the second server left), errors ${errors.length}, ` +
          `lost ${replies.missing(Array.from({ length: REQUESTS }, (_, id) => id)).length}; handler runs ` +
          `${runs.total} (first ${byServer.count('first')}, second ${byServer.count('second')}), ` +
          `run more than once ${runs.duplicates}\n`,
      );

      expect(errors, 'failed requests').to.deep.equal([]);
      expect(wrongReplies, 'replies carrying another request’s id').to.deep.equal([]);
      expect(replies.total).to.equal(REQUESTS);
      expect(replies.duplicates).to.equal(0);
      expect(runs.missing(Array.from({ length: REQUESTS }, (_, id) => id))).to.deep.equal([]);
      expect(byServer.count('second'), 'requests the second server handled').to.be.at.least(500);
      expect(repliesWhenSecondLeft, 'the second server left mid-stream').to.be.below(REQUESTS);
      // At-least-once: a record may run again after a rebalance, never be skipped.
      expect(runs.total).to.equal(REQUESTS + runs.duplicates);
      expect(firstReport.recordsFinished + secondReport.recordsFinished).to.be.at.least(REQUESTS);
      expect(firstReport.recordsAbandoned + secondReport.recordsAbandoned).to.equal(0);
    } finally {
      stopSending();
      await second.close({ mode: 'abandon' });
      await first.close({ mode: 'abandon' });
      await client.close();
    }
  });
});
