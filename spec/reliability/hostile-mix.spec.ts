import { expect } from 'chai';
import { Container } from 'inversify';
import type { Subscription } from 'rxjs';
import {
  Controller,
  EventPattern,
  KafkaClient,
  KafkaServer,
  MessagePattern,
  Payload,
  RxKafkaError,
  type ConnectionTransition,
} from '../../lib';
import {
  RECORD_LOG_BURST,
  RECORD_LOG_INTERVAL_MS,
  REFUSED_TOPIC_LOG_INTERVAL_MS,
} from '../../lib/pipeline/log-throttle';
import { useTestBroker } from '../support/global-broker';
import { createTopics, uniqueName } from '../support/kafka-fixtures';
import { RecordingLogger } from '../support/recording-logger';
import { specDriver } from '../support/spec-driver';
import { eventually } from './support/eventually';
import { GoodTraffic, isGoodRequest, toGoodAnswer } from './support/good-traffic';
import { HostileProducer, type HostileKind } from './support/hostile-producer';
import { headerText } from './support/raw-kafka';
import { RecordCollector, type CollectedRecord } from './support/record-collector';

/** Rounds of hostile records, one every PAUSE_MS: about 30 s of load with the time each round takes. */
const ROUNDS = 120;
const PAUSE_MS = 200;
const CLIENTS = 3;
const IN_FLIGHT_PER_CLIENT = 4;
/**
 * Good requests each client sends one after another once the hostile stream has ended. Without a key they
 * go round the 8 request partitions (kafkajs's partitioner), so each partition carries some of them, after
 * any good request sent earlier to it: answered, they prove no earlier one is still held anywhere.
 */
const GRACE_REQUESTS = 24;
const HANDLER_TIMEOUT_MS = 1_000;

/** The handlers the mix is aimed at: good requests get their answer, hostile ones what the payload asks. */
function createMixController(requestTopic: string, eventTopic: string, seenEvents: Set<string>) {
  @Controller()
  class MixController {
    @MessagePattern(requestTopic)
    answer(@Payload() data: unknown): unknown {
      if (isGoodRequest(data)) return toGoodAnswer(data);
      const act = typeof data === 'object' && data !== null ? (data as { act?: unknown }).act : undefined;
      if (act === 'throw') throw new Error('thrown on purpose by the hostile mix');
      if (act === 'hang') return new Promise<never>(() => undefined);
      return {
        type: data === null ? 'null' : typeof data,
        length: typeof data === 'string' ? data.length : 0,
      };
    }

    @EventPattern(eventTopic)
    event(@Payload() data: unknown): void {
      if (isGoodRequest(data)) seenEvents.add(data.id);
    }
  }
  return MixController;
}

describe('a hostile mix under load (reliability)', () => {
  const prefix = uniqueName('hostile');
  const requestTopic = `${prefix}.req`;
  const replyTopic = `${requestTopic}.reply`;
  const eventTopic = `${prefix}.evt`;
  const missingReplyTopic = `${prefix}.no-such-topic`;
  const seenEvents = new Set<string>();
  const serverLog = new RecordingLogger();
  const clientLogs = Array.from({ length: CLIENTS }, () => new RecordingLogger());
  const crashes: unknown[] = [];
  const noteCrash = (error: unknown): void => void crashes.push(error);
  const transitions: ConnectionTransition[] = [];
  let transitionsSubscription: Subscription | undefined;
  let server: KafkaServer;
  let clients: KafkaClient[] = [];
  let traffic: GoodTraffic[] = [];
  let hostile: HostileProducer;
  let collector: RecordCollector;
  /** Per client, how many requests it had sent when the hostile stream ended. */
  let sentDuringMix: number[] = [];
  let mixStartedAt = 0;
  /** The good requests sent during the mix still unanswered once every grace request was answered. */
  let heldAfterGrace: string[] = [];

  before(async function () {
    this.timeout(480_000);
    const brokers = [...(await useTestBroker()).brokers];
    await createTopics([
      { topic: requestTopic, numPartitions: 8 },
      // Every client reads the one reply partition: each sees the others' replies and the stray ones.
      { topic: replyTopic },
      { topic: eventTopic, numPartitions: 8 },
    ]);
    const controller = createMixController(requestTopic, eventTopic, seenEvents);
    const container = new Container();
    container.bind(controller).toSelf().inSingletonScope();
    server = new KafkaServer(container, {
      controllers: [controller],
      client: { brokers, clientId: prefix },
      consumer: { groupId: prefix },
      subscribe: { fromBeginning: true },
      logger: serverLog,
      handlerTimeoutMs: HANDLER_TIMEOUT_MS,
      ...specDriver(),
    });
    await server.listen();
    transitionsSubscription = server.connection.transitions$.subscribe((t) => transitions.push(t));
    clients = clientLogs.map(
      (logger, index) =>
        new KafkaClient({
          client: { brokers, clientId: `${prefix}-client-${index}` },
          consumer: { groupId: `${prefix}-client-${index}` },
          logger,
          // No request may time out: a held one must show as unanswered, not as a failure after a while.
          requestTimeoutMs: 300_000,
          ...specDriver(),
        }),
    );
    for (const client of clients) client.subscribeToResponseOf(requestTopic);
    await Promise.all(clients.map((client) => client.connect()));
    traffic = clients.map((client, index) => new GoodTraffic(client, `c${index}`, requestTopic, eventTopic));
    hostile = await HostileProducer.connect(brokers, {
      requestTopic,
      replyTopic,
      eventTopic,
      missingReplyTopic,
    });
    collector = await RecordCollector.start(brokers, [replyTopic]);
    process.on('uncaughtException', noteCrash);
    process.on('unhandledRejection', noteCrash);

    // The load: good traffic from every client, the hostile stream beside it, then the grace requests.
    for (const t of traffic) t.start(IN_FLIGHT_PER_CLIENT);
    mixStartedAt = Date.now();
    await hostile.run(ROUNDS, PAUSE_MS);
    sentDuringMix = traffic.map((t) => t.sent.length);
    for (const t of traffic) t.halt();
    await Promise.all(
      traffic.map(async (t) => {
        for (let i = 0; i < GRACE_REQUESTS; i++) await t.request();
      }),
    );
    heldAfterGrace = traffic.flatMap((t, index) => t.unansweredOf(sentDuringMix[index]));
    await Promise.all(traffic.map((t) => t.settled()));
  });

  after(async function () {
    this.timeout(60_000);
    process.off('uncaughtException', noteCrash);
    process.off('unhandledRejection', noteCrash);
    transitionsSubscription?.unsubscribe();
    for (const t of traffic) t.halt();
    await Promise.all(traffic.map((t) => t.settled()));
    await collector?.stop();
    await hostile?.disconnect();
    await Promise.all(clients.map((client) => client.close()));
    await server?.close();
  });

  /**
   * Lines about one kind of hostile record are rate-limited: at most RECORD_LOG_BURST per key per
   * RECORD_LOG_INTERVAL_MS, the first of the next interval counting those left out. Fewer lines than records.
   */
  function expectThrottled(
    lines: ReadonlyArray<{ fields: Record<string, unknown> }>,
    kind: HostileKind,
  ): void {
    const written = hostile.countOf(kind);
    const intervals = Math.ceil((Date.now() - mixStartedAt) / RECORD_LOG_INTERVAL_MS) + 1;
    expect(lines.length, `lines about ${kind}`).to.be.at.least(1);
    expect(lines.length, `lines about ${written} records of ${kind}`)
      .to.be.below(written)
      .and.at.most(RECORD_LOG_BURST * intervals);
    expect(
      lines.some((line) => Number(line.fields.suppressed) > 0),
      `a line about ${kind} counting those left out`,
    ).to.equal(true);
  }

  /** The reply the collector read for `correlationId`: its JSON value, or its error header's JSON. */
  function replyTo(correlationId: string): { record: CollectedRecord; body: unknown } | undefined {
    const record = collector
      .of(replyTopic)
      .find((candidate) => headerText(candidate.message, 'kafka_correlationId') === correlationId);
    if (!record) return undefined;
    const text = headerText(record.message, 'kafka_nest-err') ?? String(record.message.value);
    return { record, body: JSON.parse(text) as unknown };
  }

  async function awaitRepliesTo(kind: HostileKind): Promise<Array<{ id: string; body: unknown }>> {
    const ids = hostile.correlationIdsOf(kind);
    expect(ids.length, `${kind}: records written`).to.be.above(0);
    await eventually(
      () => ids.every((id) => replyTo(id) !== undefined),
      `the replies to every "${kind}" record`,
      60_000,
      () => `${ids.filter((id) => replyTo(id) === undefined).length} of ${ids.length} unanswered`,
    );
    return ids.map((id) => ({ id, body: replyTo(id)!.body }));
  }

  it('answers every good request of several clients while hostile records are mixed in, none lost or wrong', () => {
    const goodSent = traffic.reduce((sum, t) => sum + t.sent.length, 0);
    process.stdout.write(
      `      [hostile mix] ${hostile.written.length} hostile records and ${goodSent} good requests ` +
        `(${sentDuringMix.join(' + ')} during the mix) from ${CLIENTS} clients\n`,
    );
    expect(heldAfterGrace, 'good requests of the mix unanswered after the grace requests').to.deep.equal([]);
    for (const t of traffic) {
      expect(t.failed, 'failed good requests and events').to.deep.equal([]);
      expect(t.wrong, 'good requests answered wrongly').to.deep.equal([]);
      expect(t.answered.size).to.equal(t.sent.length);
    }
    for (const client of clients) expect(client.pendingRequests).to.equal(0);
  });

  it('handles every good event emitted during the mix', async function () {
    this.timeout(60_000);
    const emitted = traffic.flatMap((t) => t.emitted);
    expect(emitted.length).to.be.above(0);
    await eventually(
      () => emitted.every((id) => seenEvents.has(id)),
      'every good event to be handled',
      30_000,
      () => `${emitted.filter((id) => !seenEvents.has(id)).length} of ${emitted.length} not handled`,
    );
  });

  it('kept the server and the clients up: no crash, no failed or reconnecting connection', () => {
    expect(crashes.map(String), 'uncaught exceptions and unhandled rejections').to.deep.equal([]);
    expect(transitions.map((t) => t.to)).to.not.include.members(['failed', 'reconnecting', 'stopped']);
    expect(server.connection.state).to.equal('assigned');
    for (const client of clients) expect(client.connection.isServing).to.equal(true);
  });

  it('answers values that are not JSON, empty, null or near the size limit with what the handler received', async function () {
    this.timeout(90_000);
    const expected: Array<[HostileKind, unknown]> = [
      ['not JSON', { type: 'string', length: '{hero: Ann'.length }],
      ['empty value', { type: 'string', length: 0 }],
      ['null value', { type: 'null', length: 0 }],
      ['value of 1 MB', { type: 'string', length: 1_000_000 }],
      ['binary kafka_correlationId', toDescribed({ hero: 'Ann' })],
    ];
    for (const [kind, body] of expected) {
      for (const reply of await awaitRepliesTo(kind)) expect(reply.body, kind).to.deep.equal(body);
    }
  });

  it('answers a handler that throws or never settles with an error reply, and logs what was wrong', async function () {
    this.timeout(90_000);
    for (const reply of await awaitRepliesTo('handler throws')) {
      expect(reply.body).to.deep.equal({ status: 'error', message: 'Internal server error' });
    }
    const lines = serverLog.find('warn', 'handler failed');
    expect(String(lines[0]?.fields.error)).to.contain('thrown on purpose by the hostile mix');
    expectThrottled(lines, 'handler throws');
    for (const reply of await awaitRepliesTo('handler never settles')) {
      expect(reply.body).to.deep.include({ status: 'error' });
      expect((reply.body as { message: string }).message).to.contain(
        `${HANDLER_TIMEOUT_MS} ms and was cut off`,
      );
    }
  });

  it('names the bad header in a warning: a missing kafka_replyTopic, a kafka_replyPartition that is no number', async () => {
    for (const correlationId of hostile.correlationIdsOf('no kafka_replyTopic')) {
      expect(replyTo(correlationId), 'a reply to a record without kafka_replyTopic').to.equal(undefined);
    }
    expectThrottled(serverLog.find('warn', 'no usable kafka_replyTopic'), 'no kafka_replyTopic');
    for (const reply of await awaitRepliesTo('non-numeric kafka_replyPartition')) {
      expect(reply.body).to.deep.equal(toDescribed({ hero: 'Ann' }));
    }
    expectThrottled(
      serverLog.find('warn', '"abc" is not a partition number'),
      'non-numeric kafka_replyPartition',
    );
  });

  it('skips a reply to a partition the reply topic lacks, naming the partition', async function () {
    this.timeout(60_000);
    const ids = hostile.correlationIdsOf('out-of-range kafka_replyPartition');
    const lines = () =>
      serverLog
        .find('error', 'was refused by Kafka')
        .filter((line) => ids.includes(String(line.fields.correlationId)));
    await eventually(() => lines().length > 0, 'a reply to a missing partition to be skipped');
    expect((lines()[0].fields.error as RxKafkaError).message).to.contain('no partition 7');
    expectThrottled(lines(), 'out-of-range kafka_replyPartition');
    for (const correlationId of ids) {
      expect(replyTo(correlationId), 'a reply to a missing partition').to.equal(undefined);
    }
  });

  it('logs bursts of requests naming an unknown reply topic once per interval, with the count left out', async function () {
    this.timeout(60_000);
    const written = hostile.countOf('unknown reply topic');
    const lines = () =>
      serverLog
        .find('error', 'was refused by Kafka')
        .filter((line) => line.fields.replyTopic === missingReplyTopic);
    // The mix spans more than one interval, so a line after the first says how many it left out.
    await eventually(
      () => lines().some((line) => Number(line.fields.suppressed) > 0),
      'a throttled summary line',
      60_000,
    );
    const summary = lines().find((line) => Number(line.fields.suppressed) > 0)!;
    expect(summary.message)
      .to.contain(missingReplyTopic)
      .and.contain(`and ${String(summary.fields.suppressed)} more requests naming it`);
    expect(lines().length, `lines for ${written} requests`).to.be.below(written / 10);
    expect(REFUSED_TOPIC_LOG_INTERVAL_MS).to.be.below((ROUNDS * PAUSE_MS) / 2);
  });

  it('lets the clients ignore replies to correlation ids they never sent', () => {
    expect(hostile.countOf('reply to an unknown correlation id')).to.be.above(0);
    for (const logger of clientLogs) {
      expect(logger.entries.filter((entry) => entry.level === 'error')).to.deep.equal([]);
    }
  });
});

/** What the mix controller answers to a JSON object that is not a good request. */
function toDescribed(data: object): unknown {
  return { type: typeof data, length: 0 };
}
