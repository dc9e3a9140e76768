import { expect } from 'chai';
import { mergeMap, type Subscription } from 'rxjs';
import {
  consume,
  DeadLetterHeaders,
  RetryHeaders,
  RxKafkaError,
  silentLogger,
  type CommittableRecord,
  type RecordStream,
  type RetryOutcome,
} from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { createTopics, produceRecords, uniqueName, withAdmin } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';
import { eventually } from '../reliability/support/eventually';
import { headerText, readTopic, type ReadRecord } from '../reliability/support/raw-kafka';
import { Tally } from '../reliability/support/tally';
import { kindOf, PaymentDownError, type Kind, type Order } from './support/retry-orders';

/** An error retrying cannot help with: `retryOn` sends it straight to the dead-letter topic. */
class InvalidOrderError extends Error {
  constructor() {
    super('the order is invalid');
    this.name = 'InvalidOrderError';
  }
}

const PARTITIONS = 4;
const RECORDS = 300;
const DELAYS_MS = [200, 1000];

/** What the subscriber saw: each run, each success, the attempt each run had, and early retry runs. */
class Journal {
  readonly runs = new Tally<string>();
  readonly completed: string[] = [];
  /** `record.attempt` of each run, by id, in run order. */
  readonly attempts = new Map<string, number[]>();
  /** Retry runs emitted before their record's due time (must stay empty). */
  readonly early: string[] = [];
  readonly outcomes = new Tally<RetryOutcome>();
}

/** The subscriber's work on one record: fails as its kind says, then commits or retries it. */
async function handle(record: CommittableRecord<Order>, journal: Journal): Promise<void> {
  const { id, kind } = record.value;
  journal.runs.add(id);
  journal.attempts.set(id, [...(journal.attempts.get(id) ?? []), record.attempt]);
  const dueAt = record.headers[RetryHeaders.DUE_AT];
  if (dueAt !== undefined && Date.now() < Number(dueAt)) journal.early.push(id);
  const run = journal.runs.count(id);
  let failure: Error | undefined;
  if (kind === 'poison') failure = new PaymentDownError();
  if (kind === 'permanent') failure = new InvalidOrderError();
  if ((kind === 'flaky2' && run < 2) || (kind === 'flaky3' && run < 3)) failure = new Error('busy');
  if (failure === undefined) {
    journal.completed.push(id);
    record.commit();
    return;
  }
  journal.outcomes.add(await record.retry(failure));
}

describe('consume() with retryTopics (broker)', function () {
  this.timeout(90_000);

  const prefix = uniqueName('stream-retry');
  const topic = `${prefix}.orders`;
  const dlt = `${topic}.dlt`;
  const groupId = `${prefix}-group`;
  const journal = new Journal();
  const orders = Array.from({ length: RECORDS }, (_, index): Order => ({
    id: `o${index}`,
    kind: kindOf(index),
  }));
  const ids = (kind: Kind) => orders.filter((order) => order.kind === kind).map((order) => order.id);
  let brokers: string[];
  let stream: RecordStream<Order>;
  let subscription: Subscription | undefined;
  let letters: ReadRecord[] = [];

  before(async function () {
    this.timeout(120_000);
    brokers = [...(await useTestBroker()).brokers];
    await createTopics([{ topic, numPartitions: PARTITIONS }]);
    await produceRecords(
      topic,
      orders.map((order, index) => ({ key: `customer-${index % 16}`, value: JSON.stringify(order) })),
    );
    stream = consume<Order>({
      ...specDriver(),
      client: { brokers },
      groupId,
      topics: [topic],
      fromBeginning: true,
      logger: silentLogger,
      retryTopics: {
        delaysMs: DELAYS_MS,
        createTopics: true,
        retryOn: (error) => !(error instanceof InvalidOrderError),
      },
    });
    let failed: unknown;
    subscription = stream
      .pipe(mergeMap((record) => handle(record, journal), 32))
      .subscribe({ error: (error: unknown) => (failed = error) });
    const poison = ids('poison').length;
    const permanent = ids('permanent').length;
    await eventually(
      () => {
        if (failed !== undefined) throw failed;
        return (
          journal.completed.length === RECORDS - poison - permanent &&
          journal.outcomes.count('dead-letter') === poison + permanent
        );
      },
      'every record handled or dead-lettered',
      60_000,
      () => `${journal.completed.length} completed, ${journal.outcomes.count('dead-letter')} dead-lettered`,
    );
    letters = await readTopic(brokers, dlt, (records) => records.length >= poison + permanent);
  });

  after(async function () {
    this.timeout(60_000);
    await stream?.drain();
    subscription?.unsubscribe();
  });

  it('creates the retry topics and the dead-letter topic with the source topic’s partition count', async () => {
    const metadata = await withAdmin((admin) =>
      admin.fetchTopicMetadata({ topics: [`${topic}.retry.200`, `${topic}.retry.1000`, dlt] }),
    );
    expect(metadata.topics.map((entry) => [entry.name, entry.partitions.length])).to.have.deep.members([
      [`${topic}.retry.200`, PARTITIONS],
      [`${topic}.retry.1000`, PARTITIONS],
      [dlt, PARTITIONS],
    ]);
  });

  it('emits good records once, transient failures again after their delays, and failed ones until their delays are spent', () => {
    for (const id of ids('fine')) expect(journal.attempts.get(id), `attempts of ${id}`).to.deep.equal([1]);
    for (const id of ids('flaky2'))
      expect(journal.attempts.get(id), `attempts of ${id}`).to.deep.equal([1, 2]);
    for (const id of ids('flaky3'))
      expect(journal.attempts.get(id), `attempts of ${id}`).to.deep.equal([1, 2, 3]);
    for (const id of ids('poison'))
      expect(journal.attempts.get(id), `attempts of ${id}`).to.deep.equal([1, 2, 3]);
    for (const id of ids('permanent'))
      expect(journal.attempts.get(id), `attempts of ${id}`).to.deep.equal([1]);
    expect(journal.completed, 'each success once').to.have.length(new Set(journal.completed).size);
    expect(journal.outcomes.count('retry')).to.equal(
      ids('flaky2').length + 2 * ids('flaky3').length + 2 * ids('poison').length,
    );
  });

  it('lets the healthy records finish while retries are still pending', () => {
    // Completion order, not durations: every record that needed no retry finished before any record that
    // waited out both delays, although records of both kinds shared partitions (and keys).
    const lastFine = Math.max(...ids('fine').map((id) => journal.completed.indexOf(id)));
    const firstFlaky3 = Math.min(...ids('flaky3').map((id) => journal.completed.indexOf(id)));
    expect(lastFine).to.be.below(firstFlaky3);
  });

  it('never emits a retry record before its due time', () => {
    expect(journal.early).to.deep.equal([]);
  });

  it('writes the dead letters with the original place, the last error and the retry headers', () => {
    expect(letters).to.have.length(ids('poison').length + ids('permanent').length);
    const letterOf = (id: string) => {
      const found = letters.find((record) => JSON.parse(String(record.message.value)).id === id);
      expect(found, `the dead letter of ${id}`).to.not.equal(undefined);
      return (name: string) => headerText(found!.message, name);
    };
    const [poison] = ids('poison');
    const header = letterOf(poison);
    expect(header(DeadLetterHeaders.ORIGINAL_TOPIC)).to.equal(topic);
    expect(Number(header(DeadLetterHeaders.ORIGINAL_PARTITION))).to.be.within(0, PARTITIONS - 1);
    expect(header(DeadLetterHeaders.ORIGINAL_OFFSET)).to.match(/^\d+$/);
    expect(header(DeadLetterHeaders.EXCEPTION_FQCN)).to.equal('PaymentDownError');
    expect(header(DeadLetterHeaders.EXCEPTION_MESSAGE)).to.equal('the payment service is down');
    expect(header(RetryHeaders.EXCEPTION_CODE)).to.equal('E_PAYMENT_DOWN');
    expect(header(DeadLetterHeaders.ATTEMPTS)).to.equal('3');
    expect(header(DeadLetterHeaders.HANDLER)).to.equal(`consume:${groupId}`);
    expect(header(RetryHeaders.ATTEMPT), 'the last retry’s attempt').to.equal('3');
    expect(Number(header(RetryHeaders.FIRST_FAILURE_AT))).to.be.at.most(Number(header(RetryHeaders.DUE_AT)));

    const [permanent] = ids('permanent');
    const straight = letterOf(permanent);
    expect(straight(DeadLetterHeaders.ORIGINAL_TOPIC)).to.equal(topic);
    expect(straight(DeadLetterHeaders.EXCEPTION_FQCN)).to.equal('InvalidOrderError');
    expect(straight(DeadLetterHeaders.ATTEMPTS), 'retryOn refused it').to.equal('1');
    expect(straight(RetryHeaders.ATTEMPT)).to.equal(undefined);
  });

  it('commits the source topic and the retry topics up to their ends', async () => {
    const ends = async (name: string) =>
      (await withAdmin((admin) => admin.fetchTopicOffsets(name))).reduce(
        (sum, entry) => sum + Number(entry.high),
        0,
      );
    const committed = async (name: string) =>
      (await withAdmin((admin) => admin.fetchOffsets({ groupId, topics: [name] })))[0].partitions.reduce(
        (sum, entry) => sum + Math.max(0, Number(entry.offset)),
        0,
      );
    for (const name of [topic, `${topic}.retry.200`, `${topic}.retry.1000`]) {
      const end = await ends(name);
      await eventually(
        async () => (await committed(name)) === end,
        `the group's commits on ${name} at ${end}`,
      );
    }
    expect(await ends(topic)).to.equal(RECORDS);
  });

  it('fails the subscription naming a missing retry topic when createTopics is off', async () => {
    const source = `${uniqueName('stream-retry-missing')}.orders`;
    await createTopics([{ topic: source, numPartitions: 2 }]);
    const missing = consume({
      ...specDriver(),
      client: { brokers },
      groupId: uniqueName('stream-retry-missing'),
      topics: [source],
      logger: silentLogger,
      retryTopics: { delaysMs: [500] },
    });
    const error = await new Promise<unknown>((resolve) => {
      missing.subscribe({ error: resolve, complete: () => resolve(undefined) });
    });
    expect(error).to.be.instanceOf(RxKafkaError);
    expect(error).to.have.property('code', 'RXK_TOPIC_NOT_FOUND');
    expect((error as Error).message).to.include(`${source}.retry.500`);
  });
});
