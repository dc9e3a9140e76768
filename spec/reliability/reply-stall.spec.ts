import { expect } from 'chai';
import { DEFAULT_SERVER_OPTIONS } from '../../lib/options';
import { REFUSED_TOPIC_LOG_INTERVAL_MS } from '../../lib/pipeline/log-throttle';
import { useTestBroker } from '../support/global-broker';
import { eventually, sleep } from './support/eventually';
import { usePrivateKafka } from './support/private-kafka';
import { createRawKafka } from './support/raw-kafka';
import { StallProbe, type SentRequest } from './support/stall-probe';

/** How late a good request may be answered while another's reply is pending (generous: shared 2-core CI). */
const ANSWER_BOUND_MS = 3_000;
const REPLY_TIMEOUT_MS = DEFAULT_SERVER_OPTIONS.replyTimeoutMs;

function report(text: string): void {
  process.stdout.write(`      [reply stall] ${text}\n`);
}

/**
 * A request naming a reply topic that does not exist, then good requests on its partition, on another
 * partition of its topic and on another topic: the good ones are answered long before the bad reply is
 * given up; the bad request's offset is committed only once it is given up, and it is handled once.
 */
async function expectNoStall(probe: StallProbe, label: string): Promise<void> {
  const missing = `${probe.prefix}.no-such-topic`;
  // Warm up: every partition assigned and every reply topic written once.
  const warmups = await Promise.all([
    probe.send(probe.topicA, 0),
    probe.send(probe.topicA, 1),
    probe.send(probe.topicB, 0),
  ]);
  await Promise.all(warmups.map((request) => probe.answeredAt(request)));

  const doomed = await probe.send(probe.topicA, 0, missing);
  await sleep(200);
  const samePartition = await probe.send(probe.topicA, 0);
  const otherPartition = await probe.send(probe.topicA, 1);
  await sleep(200);
  const otherTopic = await probe.send(probe.topicB, 0);
  const good: Array<[string, SentRequest]> = [
    ['same partition', samePartition],
    ['same topic, other partition', otherPartition],
    ['other topic', otherTopic],
  ];
  const answered = await Promise.all(good.map(([, request]) => probe.answeredAt(request)));
  // The good request on the doomed one's partition is answered, yet that partition's commit stays below
  // the doomed record while its reply is pending.
  const committedMeanwhile = await probe.committed(probe.topicA, 0);
  const givenUp = await probe.givenUpAt(doomed, missing);

  const latencies = good.map(([name, request], index) => `${name} ${answered[index] - request.sentAt} ms`);
  report(
    `${label}: doomed reply given up after ${givenUp - doomed.sentAt} ms; good requests answered after ` +
      `${latencies.join(', ')} (from their own send)`,
  );
  for (const [index, [name, request]] of good.entries()) {
    expect(answered[index], `${name}: answered before the doomed reply was given up`).to.be.below(givenUp);
    expect(answered[index] - request.sentAt, `${name}: answered within ${ANSWER_BOUND_MS} ms`).to.be.below(
      ANSWER_BOUND_MS,
    );
  }
  expect(
    committedMeanwhile <= BigInt(doomed.offset),
    `the commit (${committedMeanwhile}) passed the doomed record (${doomed.offset}) while its reply was pending`,
  ).to.equal(true);
  expect(givenUp - doomed.sentAt, 'the doomed reply was given up within the bound').to.be.below(
    REPLY_TIMEOUT_MS + 5_000,
  );

  // Given up, the doomed record is committed (with the good one after it), and it was handled once.
  let committedAfter = -1n;
  const deadline = Date.now() + 30_000;
  while (committedAfter <= BigInt(samePartition.offset) && Date.now() < deadline) {
    await sleep(200);
    committedAfter = await probe.committed(probe.topicA, 0);
  }
  expect(
    committedAfter > BigInt(samePartition.offset),
    `the commit (${committedAfter}) after the doomed reply was given up passes ${samePartition.offset}`,
  ).to.equal(true);
  await sleep(1_000);
  expect(probe.timesHandled(doomed), 'times the doomed request was handled').to.equal(1);
  expect(probe.skipLines(missing, doomed.correlationId)).to.have.length(1);
}

describe('a reply that cannot be produced (reliability)', () => {
  context('on one broker', () => {
    let probe: StallProbe;

    before(async function () {
      this.timeout(120_000);
      probe = new StallProbe((await useTestBroker()).brokers);
      await probe.start();
    });

    after(async function () {
      this.timeout(60_000);
      await probe?.stop();
    });

    it('holds no other request: the same partition, another partition and another topic are answered meanwhile', async function () {
      this.timeout(120_000);
      await expectNoStall(probe, 'one broker');
    });

    it('logs a flood of requests naming one unknown reply topic once per interval, and skips them all', async function () {
      this.timeout(120_000);
      const missing = `${probe.prefix}.flood-missing`;
      const started = Date.now();
      const flood = await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          index % 2 === 0
            ? probe.send(probe.topicA, index % 4 === 0 ? 0 : 1, missing)
            : probe.send(probe.topicB, 0, missing),
        ),
      );
      const good = await probe.send(probe.topicB, 0);
      const answered = await probe.answeredAt(good);
      await eventually(
        () => flood.every((request) => probe.timesHandled(request) === 1),
        'every flood request to be handled',
        30_000,
      );
      // All skipped: every partition's commit passes its last flood request.
      const last = new Map<string, bigint>();
      for (const request of flood) {
        const key = `${request.topic}/${request.partition}`;
        const offset = BigInt(request.offset);
        if ((last.get(key) ?? -1n) < offset) last.set(key, offset);
      }
      const deadline = Date.now() + 30_000;
      for (const [key, offset] of last) {
        const [topic, partition] = [
          key.slice(0, key.lastIndexOf('/')),
          Number(key.slice(key.lastIndexOf('/') + 1)),
        ];
        while ((await probe.committed(topic, partition)) <= offset) {
          if (Date.now() > deadline) throw new Error(`${key}: the flood was never committed past ${offset}`);
          await sleep(200);
        }
      }
      const allSkippedMs = Date.now() - started;
      const lines = probe.skipLines(missing);
      report(
        `50 requests to one unknown reply topic: all skipped and committed ${allSkippedMs} ms after the first ` +
          `was sent; ${lines.length} log line(s) for it; a good request meanwhile answered after ` +
          `${answered - good.sentAt} ms`,
      );
      expect(lines.length).to.be.at.least(1);
      expect(lines.length).to.be.at.most(1 + Math.floor(allSkippedMs / REFUSED_TOPIC_LOG_INTERVAL_MS));
      // One metadata lookup's wait for the whole flood, not one per request (50 × 5 s).
      expect(allSkippedMs).to.be.below(REPLY_TIMEOUT_MS + 15_000);
      expect(answered - good.sentAt).to.be.below(ANSWER_BOUND_MS);
      for (const request of flood) expect(probe.timesHandled(request)).to.equal(1);

      // Past the interval (the first line was written before the flood was all committed), the next line
      // counts what was left out.
      await sleep(REFUSED_TOPIC_LOG_INTERVAL_MS + 500);
      const late = await probe.send(probe.topicB, 0, missing);
      await probe.givenUpAt(late, missing, 30_000);
      const [latest] = probe.skipLines(missing, late.correlationId);
      expect(latest.fields.suppressed).to.equal(50 - lines.length);
      expect(latest.message).to.contain(`and ${50 - lines.length} more requests naming it`);
    });
  });

  context('on a 3-broker cluster', () => {
    const privateKafka = usePrivateKafka(3, { startMs: 240_000, stopMs: 90_000 });
    let probe: StallProbe | undefined;

    after(async function () {
      this.timeout(60_000);
      await probe?.stop();
    });

    it('holds no other request led by the same broker, nor any other', async function () {
      this.timeout(240_000);
      const brokers = privateKafka().brokers;
      const admin = createRawKafka(brokers).admin();
      await admin.connect();
      const nodes = (await admin.describeCluster()).brokers.map((broker) => broker.nodeId).sort();
      await admin.disconnect();
      probe = new StallProbe(brokers);
      // Every partition led by one broker: kafkajs fetches them in one fetch, the coupling under test.
      await probe.start({ nodes });
      await expectNoStall(probe, '3 brokers');
    });
  });
});
