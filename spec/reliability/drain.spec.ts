import { expect } from 'chai';
import { Container } from 'inversify';
import {
  Controller,
  KafkaClient,
  KafkaServer,
  MessagePattern,
  Payload,
  RxKafkaError,
  silentLogger,
  type DrainReport,
} from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { createTopics, uniqueName } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';
import { eventually, sleep } from './support/eventually';
import { headerText, readTopic } from './support/raw-kafka';
import { Tally } from './support/tally';

const REQUESTS = 500;

/** A slow handler (20–50 ms per job) that counts each run per job id in `runs` and per server in `byServer`. */
function createJobController(topic: string, runs: Tally, byServer: Tally<string>, server: string) {
  @Controller()
  class JobController {
    @MessagePattern(topic)
    async work(@Payload() job: { id: number }): Promise<{ id: number }> {
      await sleep(20 + (job.id % 31));
      runs.add(job.id);
      byServer.add(server);
      return { id: job.id };
    }
  }
  return JobController;
}

describe('KafkaServer.close() in drain mode (reliability)', () => {
  it('answers each of 500 in-flight requests exactly once and runs none twice across a server restart', async function () {
    this.timeout(240_000);
    const { brokers } = await useTestBroker();
    const topic = uniqueName('drain');
    const replyTopic = `${topic}.reply`;
    const groupId = uniqueName('drain-group');
    await createTopics([{ topic, numPartitions: 4 }, { topic: replyTopic }]);

    const runs = new Tally();
    const byServer = new Tally<string>();
    const startServer = async (name: string): Promise<KafkaServer> => {
      const controller = createJobController(topic, runs, byServer, name);
      const container = new Container();
      container.bind(controller).toSelf().inSingletonScope();
      const server = new KafkaServer(container, {
        controllers: [controller],
        client: { brokers: [...brokers], clientId: `${topic}-${name}` },
        consumer: { groupId },
        // Partitions without a committed offset must start at the first request, not at "latest".
        subscribe: { fromBeginning: true },
        logger: silentLogger,
        ...specDriver(),
      });
      await server.listen();
      return server;
    };

    const client = new KafkaClient({
      client: { brokers: [...brokers], clientId: topic },
      consumer: { groupId: uniqueName('drain-client') },
      logger: silentLogger,
      // The requests left unfinished by the first server wait for the second one.
      requestTimeoutMs: 180_000,
      ...specDriver(),
    });
    client.subscribeToResponseOf(topic);
    await client.connect();

    const first = await startServer('first');
    let second: KafkaServer | undefined;
    try {
      const replies = new Tally();
      const errors: unknown[] = [];
      let completed = 0;
      for (let id = 0; id < REQUESTS; id += 1) {
        client.send<{ id: number }>(topic, { id }).subscribe({
          next: (reply) => replies.add(reply.id),
          error: (error: unknown) => errors.push(error),
          complete: () => (completed += 1),
        });
      }

      await eventually(() => replies.total >= 50, 'the first 50 replies', 120_000);
      const repliesBeforeClose = replies.total;
      const drained: DrainReport = await first.close({ mode: 'drain' });
      const firstServerRuns = byServer.count('first');

      second = await startServer('second');
      await eventually(
        () => completed + errors.length === REQUESTS,
        'every request to end',
        180_000,
        () => `${completed} completed, ${errors.length} failed`,
      );
      const secondReport = await second.close();
      second = undefined;

      const replyRecords = await readTopic(brokers, replyTopic, (records) => records.length >= REQUESTS);
      const replyIds = new Tally<string>();
      for (const { message } of replyRecords) replyIds.add(headerText(message, 'kafka_correlationId') ?? '');

      process.stdout.write(
        `      [drain] ${REQUESTS} requests; ${repliesBeforeClose} replies before close(); first server ` +
          `finished ${drained.recordsFinished} (${firstServerRuns} handler runs) in a ${drained.durationMs} ms drain; ` +
          `second server ${secondReport.recordsFinished}; replies ${replies.total}, reply records ` +
          `${replyRecords.length}, handler runs ${runs.total}, run twice ${runs.duplicates}, errors ${errors.length}\n`,
      );

      expect(errors, 'failed requests').to.deep.equal([]);
      expect(completed).to.equal(REQUESTS);
      expect(replies.total, 'replies').to.equal(REQUESTS);
      expect(replies.missing(Array.from({ length: REQUESTS }, (_, id) => id))).to.deep.equal([]);
      expect(replyRecords, 'reply records on the reply topic').to.have.length(REQUESTS);
      expect(replyIds.duplicates, 'correlation ids replied to twice').to.equal(0);
      expect(runs.repeated(), 'jobs run twice').to.deep.equal([]);
      expect(runs.total).to.equal(REQUESTS);

      expect(drained).to.include({ mode: 'drain', timedOut: false, recordsAbandoned: 0 });
      expect(drained.recordsFinished).to.be.at.least(repliesBeforeClose);
      expect(drained.recordsFinished).to.equal(firstServerRuns);
      expect(drained.repliesSent).to.equal(drained.recordsFinished);
      expect(drained.committed.map((entry) => entry.topic)).to.include(topic);
      const committedByFirst = drained.committed
        .filter((entry) => entry.topic === topic)
        .reduce((sum, entry) => sum + Number(entry.offset), 0);
      expect(committedByFirst, 'offsets committed by the first server').to.equal(drained.recordsFinished);
      expect(drained.recordsFinished + secondReport.recordsFinished).to.equal(REQUESTS);
    } finally {
      await second?.close({ mode: 'abandon' });
      await first.close({ mode: 'abandon' });
      await client.close();
    }
  });
});

describe('KafkaClient.close() with requests in flight (reliability)', () => {
  it('fails every pending request with RXK_CONNECTION_CLOSED and counts them', async function () {
    this.timeout(120_000);
    const { brokers } = await useTestBroker();
    // No server consumes this topic: every request stays pending until the client closes.
    const topic = uniqueName('unanswered');
    await createTopics([{ topic }, { topic: `${topic}.reply` }]);
    const client = new KafkaClient({
      client: { brokers: [...brokers], clientId: topic },
      consumer: { groupId: uniqueName('unanswered-client') },
      logger: silentLogger,
      requestTimeoutMs: 0,
      ...specDriver(),
    });
    client.subscribeToResponseOf(topic);
    await client.connect();
    const errors: unknown[] = [];
    for (let id = 0; id < 50; id += 1) {
      client.send(topic, { id }).subscribe({ error: (error: unknown) => errors.push(error) });
    }
    await eventually(() => client.pendingRequests === 50, '50 pending requests');

    const { pendingRequestsFailed } = await client.close();

    expect(pendingRequestsFailed).to.equal(50);
    expect(client.pendingRequests).to.equal(0);
    expect(errors.map((error) => (error as RxKafkaError).code)).to.deep.equal(
      Array.from({ length: 50 }, () => 'RXK_CONNECTION_CLOSED'),
    );
  });
});
