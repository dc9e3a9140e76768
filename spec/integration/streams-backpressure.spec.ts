import { expect } from 'chai';
import { spawn } from 'node:child_process';
import type { StreamReport } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { createTopics, testKafka, uniqueName, withAdmin } from '../support/kafka-fixtures';
import { SPEC_DRIVER } from '../support/spec-driver';

const RECORDS = 200_000;
const PARTITIONS = 4;
const BUFFER_SIZE = 100;
const SLOW_MS = 10;
const WINDOW_MS = 8_000;
/**
 * The live heap the subscriber may grow by over its baseline (heapUsed after a full GC, before it
 * subscribes): the records its pipeline holds, bufferSize × partitions = 400 records at well under 2 KB
 * each (under 1 MB); one kafkajs fetch response, at most partitions × maxBytesPerPartition (kafkajs's
 * default 1 MB) = 4 MB on the wire, a few times that once decoded (say 12 MB); the client state of a
 * connected member (kafkajs's and rxkafka's), and slack. Holding the whole topic instead would take 200,000
 * decoded records of at least 400 bytes each, 80 MB. Seen on the project's 2-core machine: 12.2 to 12.5 MB.
 */
const KAFKAJS_HEAP_GROWTH_BOUND_MB = 32;
/**
 * On @platformatic/kafka the same, but for two fetches rather than one: the records its stream handed over
 * (held until they finish) and the next fetch, which the stream makes as soon as its buffer is read. Each is
 * at most partitions × maxBytesPerPartition (1 MB, rxkafka's default for this driver) = 4 MB on the wire, and
 * a record decoded by it takes about 700 bytes (a message object, its header Map, rxkafka's record): about
 * 50 MB for both at 100 bytes a record. Seen: 43.7 MB. Holding the whole topic took 137 MB over the baseline
 * (with the library's own 10 MB a partition per fetch).
 */
const PLATFORMATIC_HEAP_GROWTH_BOUND_MB = 64;
const HEAP_GROWTH_BOUND_MB =
  SPEC_DRIVER === 'platformatic' ? PLATFORMATIC_HEAP_GROWTH_BOUND_MB : KAFKAJS_HEAP_GROWTH_BOUND_MB;

/**
 * What the pipeline holds without the bound: what the driver hands over at once, held until its records
 * finish: a whole fetched batch per partition on kafkajs, everything @platformatic/kafka's stream holds (a
 * whole fetch) on platformatic.
 */
const CONTRAST =
  SPEC_DRIVER === 'platformatic'
    ? 'everything the stream holds (a whole fetch)'
    : 'a whole fetched batch per partition';

interface SubscriberResult {
  readonly baselineMb: number;
  readonly samples: ReadonlyArray<{ heapMb: number; held: number }>;
  readonly receivedInWindow: number;
  readonly received: number;
  readonly duplicates: number;
  readonly outOfRange: number;
  readonly missing: number;
  readonly report: StreamReport;
}

/** Runs spec/integration/support/slow-subscriber.ts and returns what it printed. */
function runSubscriber(env: Record<string, string>): Promise<SubscriberResult> {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '-r', 'ts-node/register', 'spec/integration/support/slow-subscriber.ts'],
    { env: { ...process.env, ...env, TS_NODE_TRANSPILE_ONLY: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  let errors = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  // 'close', not 'exit': the last stdout chunk may come after 'exit'.
  return new Promise((resolve, reject) =>
    child.once('close', (code) => {
      const line = output.split('\n').find((text) => text.startsWith('result '));
      if (code !== 0 || !line) reject(new Error(`the subscriber exited with ${code}:\n${output}\n${errors}`));
      else resolve(JSON.parse(line.slice('result '.length)) as SubscriberResult);
    }),
  );
}

/**
 * A subscriber that takes one record per 10 ms would need 33 minutes for 200,000 records. So the
 * subscriber is slow for a measuring window of 8 s (about 800 records) while it samples its live heap,
 * then speeds up and takes the rest; the spec checks the heap during the window, and that all 200,000
 * offsets arrived exactly once and were committed.
 */
describe('consume() backpressure (integration)', function () {
  this.timeout(180_000);
  let brokers: readonly string[];
  let topic: string;
  let ends: Record<number, number>;

  before(async () => {
    brokers = (await useTestBroker()).brokers;
    [topic] = await createTopics([{ topic: uniqueName('streams-backpressure'), numPartitions: PARTITIONS }]);
    const producer = (await testKafka()).producer({ idempotent: true });
    await producer.connect();
    // About 100 bytes a record: small records are the worst case for a count-based buffer.
    const pad = 'x'.repeat(80);
    for (let first = 0; first < RECORDS; first += 20_000) {
      const messages = Array.from({ length: 20_000 }, (_, index) => ({
        key: `k${(first + index) % 1_000}`,
        value: `{"n":${first + index},"pad":"${pad}"}`,
      }));
      await producer.sendBatch({ topicMessages: [{ topic, messages }] });
    }
    await producer.disconnect();
    const endOffsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
    ends = Object.fromEntries(endOffsets.map(({ partition, high }) => [partition, Number(high)]));
    expect(Object.values(ends).reduce((sum, end) => sum + end, 0)).to.equal(RECORDS);
  });

  after(() => withAdmin((admin) => admin.deleteTopics({ topics: [topic] })));

  const subscribe = (groupId: string, bufferSize: number, windowMs: number, stopAfterWindow = false) =>
    runSubscriber({
      STOP_AFTER_WINDOW: stopAfterWindow ? '1' : '0',
      BROKERS: brokers.join(','),
      TOPIC: topic,
      GROUP: groupId,
      END_OFFSETS: JSON.stringify(ends),
      SLOW_MS: String(SLOW_MS),
      WINDOW_MS: String(windowMs),
      BUFFER_SIZE: String(bufferSize),
    });

  it('keeps a slow subscriber’s live heap bounded over 200,000 records and loses none', async () => {
    const groupId = uniqueName('streams-backpressure-group');
    const result = await subscribe(groupId, BUFFER_SIZE, WINDOW_MS);

    // The pipeline never holds more than bufferSize records per partition…
    const maxHeld = Math.max(...result.samples.map(({ held }) => held));
    expect(maxHeld).to.be.at.most(BUFFER_SIZE * PARTITIONS);
    // …and the subscriber was slow: it took a small share of the topic in the window.
    expect(result.receivedInWindow).to.be.below(RECORDS / 20);

    const growthMb = Math.max(...result.samples.map(({ heapMb }) => heapMb)) - result.baselineMb;
    const heapSamples = result.samples.map(({ heapMb }) => heapMb.toFixed(1)).join(', ');
    expect(
      growthMb,
      `live heap ${result.baselineMb.toFixed(1)} MB at start, then ${heapSamples}`,
    ).to.be.below(HEAP_GROWTH_BOUND_MB);

    expect(result).to.include({ received: RECORDS, duplicates: 0, outOfRange: 0, missing: 0 });
    expect(result.report).to.include({ reason: 'drain', recordsEmitted: RECORDS, recordsAbandoned: 0 });
    const committed = await withAdmin((admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
    const committedByPartition = Object.fromEntries(
      committed[0].partitions.map(({ partition, offset }) => [partition, Number(offset)]),
    );
    expect(committedByPartition).to.deep.equal(ends);
  });

  it(`holds far more without the bound (the contrast): ${CONTRAST}`, async () => {
    const result = await subscribe(uniqueName('streams-backpressure-contrast'), 10_000_000, 3_000, true);
    const maxHeld = Math.max(...result.samples.map(({ held }) => held));
    const heapMb = Math.max(...result.samples.map((sample) => sample.heapMb));
    const seen = `held up to ${maxHeld}, live heap ${result.baselineMb.toFixed(1)} → ${heapMb.toFixed(1)} MB`;
    // Still bounded, by what the driver hands over at once (held until its records finish), but far above
    // what bufferSize allows. (Draining a queue that long through concatMap with synchronous inners also
    // overflows rxjs's stack, which is why this subscriber stops after its window.)
    expect(maxHeld, seen).to.be.above(10 * BUFFER_SIZE * PARTITIONS);
    expect(maxHeld).to.be.below(RECORDS);
    expect(result.report).to.include({ reason: 'unsubscribe' });
    expect(result.report.recordsAbandoned).to.be.above(10 * BUFFER_SIZE * PARTITIONS);
  });
});
