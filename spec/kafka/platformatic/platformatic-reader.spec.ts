import { expect } from 'chai';
import { CONTROL_BATCH } from '../../../lib/kafka/platformatic/record-batch-attributes';
import { recordsBatch } from './support/records-batch';
import type { FetchedBatch } from '../../../lib/kafka/fetched-batch';
import type { DriverConsumerEvent } from '../../../lib/kafka/kafka-driver';
import { ConnectSteps } from '../../../lib/kafka/platformatic/connect-steps';
import type { FetchedRecordsBatch } from '../../../lib/kafka/platformatic/fetched-partition';
import type { PlatformaticKafka } from '../../../lib/kafka/platformatic/platformatic-library';
import { DEFAULT_FETCH_MAX_WAIT_MS } from '../../../lib/kafka/platformatic/platformatic-options';
import { PlatformaticReader } from '../../../lib/kafka/platformatic/platformatic-reader';
import { RecordingLogger } from '../../support/recording-logger';

interface FetchRequest {
  readonly node: number;
  readonly topics: Array<{ topicId: string; partitions: Array<{ partition: number; fetchOffset: bigint }> }>;
}

/** What the fake answers a Fetch with: per partition, its batches (or an error for the whole fetch). */
type FetchAnswer =
  | { readonly partitions: Record<number, { batches: FetchedRecordsBatch[]; high?: bigint }> }
  | { readonly error: Error };

/** A stand-in for @platformatic/kafka's error with `findBy`, as its ProtocolError and NetworkError have. */
class FakeKafkaError extends Error {
  constructor(
    readonly apiId: string,
    readonly canRetry: boolean,
  ) {
    super(apiId);
  }
  findBy(property: string, value: unknown): this | undefined {
    return (this as unknown as Record<string, unknown>)[property] === value ? this : undefined;
  }
}

/** A stand-in for @platformatic/kafka's Consumer: topic 't' with two partitions led by node 1. */
class FakeNativeConsumer {
  static created: FakeNativeConsumer[] = [];
  readonly requests: FetchRequest[] = [];
  readonly answers: FetchAnswer[] = [];
  /** The end offsets of the next consumer made. */
  static nextEnds = [0n, 0n];
  starts = [0n, 0n];
  ends = FakeNativeConsumer.nextEnds;
  closed = false;
  metadataCleared = 0;
  #waiting: (() => void) | undefined;
  constructor(readonly options: Record<string, unknown>) {
    FakeNativeConsumer.created.push(this);
  }
  /** Partitions of 't' the metadata shows (all led by node 1). */
  partitionsCount = 2;
  async metadata(): Promise<object> {
    const partitions = Array.from({ length: this.partitionsCount }, () => ({ leader: 1 }));
    return {
      topics: new Map([['t', { id: 'id-t', partitions, partitionsCount: this.partitionsCount }]]),
    };
  }
  async listOffsets(options: { timestamp: bigint }): Promise<Map<string, bigint[]>> {
    return new Map([['t', options.timestamp === -2n ? this.starts : this.ends]]);
  }
  async fetch(request: FetchRequest): Promise<object> {
    this.requests.push(request);
    while (this.answers.length === 0) {
      if (this.closed) throw new FakeKafkaError('CLOSED', false);
      await new Promise<void>((resolve) => (this.#waiting = resolve));
    }
    const answer = this.answers.shift()!;
    if ('error' in answer) throw answer.error;
    return {
      responses: [
        {
          topicId: 'id-t',
          partitions: Object.entries(answer.partitions).map(([partition, { batches, high }]) => ({
            partitionIndex: Number(partition),
            records: batches,
            highWatermark: high ?? 0n,
          })),
        },
      ],
    };
  }
  answer(answer: FetchAnswer): void {
    this.answers.push(answer);
    this.#waiting?.();
  }
  clearMetadata(): void {
    this.metadataCleared += 1;
  }
  close(_force: boolean, callback: () => void): void {
    this.closed = true;
    this.#waiting?.();
    callback();
  }
}

function createReader(logger = new RecordingLogger()): PlatformaticReader {
  return new PlatformaticReader({
    library: { Consumer: FakeNativeConsumer } as unknown as PlatformaticKafka,
    base: { clientId: 'spec', bootstrapBrokers: ['localhost:9092'] },
    options: { maxWaitTime: DEFAULT_FETCH_MAX_WAIT_MS },
    logger,
    steps: new ConnectSteps({ clientId: 'spec', brokers: ['localhost:9092'] }, async () => undefined),
    listTopics: async () => ['t'],
    retryDelaysMs: [1, 1],
  });
}

/** The partitions' fetch offsets of the n-th Fetch (0-based). */
function askedAt(native: FakeNativeConsumer, n: number): Record<number, string> {
  const asked: Record<number, string> = {};
  for (const { partition, fetchOffset } of native.requests[n].topics[0].partitions) {
    asked[partition] = fetchOffset.toString();
  }
  return asked;
}

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let turn = 0; !condition(); turn += 1) {
    if (turn > 500) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Consumes 't', handing batches to `handle` (each record resolved unless it says otherwise). */
async function start(
  reader: PlatformaticReader,
  handle: (batch: FetchedBatch) => Promise<void> | void = (batch) => {
    for (const { offset } of batch.batch.messages) batch.resolveOffset(offset);
  },
  fromBeginning = true,
): Promise<{ native: FakeNativeConsumer; events: DriverConsumerEvent[]; batches: FetchedBatch[] }> {
  const events: DriverConsumerEvent[] = [];
  const batches: FetchedBatch[] = [];
  reader.onEvent((event) => events.push(event));
  await reader.connect();
  await reader.consume({
    topics: ['t'],
    fromBeginning,
    eachBatch: async (batch) => {
      batches.push(batch);
      await handle(batch);
    },
  });
  const native = FakeNativeConsumer.created[FakeNativeConsumer.created.length - 1];
  return { native, events, batches };
}

describe('PlatformaticReader (over a fake @platformatic/kafka)', () => {
  beforeEach(() => {
    FakeNativeConsumer.created = [];
  });

  it('reports every partition as its join, with no member id, once consume() resolved; seeks made then set the first fetch', async () => {
    const reader = createReader();
    const seen: string[] = [];
    reader.onEvent((event) => {
      seen.push(event.type);
      if (event.type === 'group.joined') reader.seek('t', 1, '5');
    });
    const { native, events } = await start(reader);
    seen.push('consumed');
    await until('the first fetch', () => native.requests.length === 1);

    expect(seen.slice(0, 2)).to.deep.equal(['consumed', 'group.joined']);
    expect(events[0]).to.deep.equal({ type: 'group.joined', memberId: '', assignment: { t: [0, 1] } });
    expect(askedAt(native, 0)).to.deep.equal({ 0: '0', 1: '5' });
    expect(native.options.groupId).to.equal('spec-reader');
    await reader.disconnect();
  });

  it('starts at the end offsets without fromBeginning', async () => {
    const reader = createReader();
    FakeNativeConsumer.nextEnds = [7n, 9n];
    try {
      const { native } = await start(reader, undefined, false);
      await until('the first fetch', () => native.requests.length === 1);
      expect(askedAt(native, 0)).to.deep.equal({ 0: '7', 1: '9' });
    } finally {
      FakeNativeConsumer.nextEnds = [0n, 0n];
      await reader.disconnect();
    }
  });

  it('hands each partition’s records over as a batch with the fetch’s end offset, and reads on after them', async () => {
    const reader = createReader();
    const { native, batches } = await start(reader);
    await until('the first fetch', () => native.requests.length === 1);

    native.answer({ partitions: { 0: { batches: [recordsBatch(0, 3)], high: 10n }, 1: { batches: [] } } });
    await until('the second fetch', () => native.requests.length === 2);

    expect(batches).to.have.length(1);
    expect(batches[0].batch).to.include({ topic: 't', partition: 0, highWatermark: '10' });
    expect(batches[0].batch.messages.map(({ offset }) => offset)).to.deep.equal(['0', '1', '2']);
    expect(askedAt(native, 1)).to.deep.equal({ 0: '3', 1: '0' });
    await reader.disconnect();
  });

  it('fetches again from the first record not handled', async () => {
    const reader = createReader();
    const { native } = await start(reader, (batch) => batch.resolveOffset(batch.batch.messages[0].offset));
    await until('the first fetch', () => native.requests.length === 1);

    native.answer({ partitions: { 0: { batches: [recordsBatch(0, 3)] } } });
    await until('the second fetch', () => native.requests.length === 2);

    expect(askedAt(native, 1)[0]).to.equal('1');
    await reader.disconnect();
  });

  it('hands nothing over from a fetch that a seek of its partition overtook, and asks at the seek next', async () => {
    const reader = createReader();
    const { native, batches } = await start(reader);
    await until('the first fetch', () => native.requests.length === 1);

    reader.seek('t', 0, '42');
    native.answer({ partitions: { 0: { batches: [recordsBatch(0, 3)] } } });
    await until('the second fetch', () => native.requests.length === 2);

    expect(batches).to.deep.equal([]);
    expect(askedAt(native, 1)[0]).to.equal('42');
    await reader.disconnect();
  });

  it('reports a trailing transaction marker as records skipped', async () => {
    const reader = createReader();
    const { native, events } = await start(reader);
    await until('the first fetch', () => native.requests.length === 1);

    native.answer({
      partitions: { 0: { batches: [recordsBatch(0, 2), recordsBatch(2, 1, CONTROL_BATCH)] } },
    });
    await until('the second fetch', () => native.requests.length === 2);

    expect(events.filter(({ type }) => type === 'records.skipped')).to.deep.equal([
      { type: 'records.skipped', topic: 't', partition: 0, lastOffset: '2' },
    ]);
    expect(askedAt(native, 1)[0]).to.equal('3');
    await reader.disconnect();
  });

  it('moves a position its partition no longer keeps to the start, with a warning', async () => {
    const logger = new RecordingLogger();
    const reader = createReader(logger);
    const { native } = await start(reader);
    await until('the first fetch', () => native.requests.length === 1);

    native.starts = [20n, 0n];
    native.ends = [30n, 0n];
    native.answer({ error: new FakeKafkaError('OFFSET_OUT_OF_RANGE', false) });
    await until('the second fetch', () => native.requests.length === 2);

    expect(askedAt(native, 1)).to.deep.equal({ 0: '20', 1: '0' });
    expect(
      logger.find('warn', 't partition 0 has no offset 0 (it keeps 20 to 30): reading on from 20'),
    ).to.have.length(1);
    await reader.disconnect();
  });

  it('moves a position past its partition’s end back to the end', async () => {
    const reader = createReader();
    const { native } = await start(reader);
    await until('the first fetch', () => native.requests.length === 1);

    reader.seek('t', 1, '50');
    native.ends = [0n, 12n];
    native.answer({ error: new FakeKafkaError('OFFSET_OUT_OF_RANGE', false) });
    await until('the fetch at the seek', () => native.requests.length === 2);
    native.answer({ error: new FakeKafkaError('OFFSET_OUT_OF_RANGE', false) });
    await until('the fetch after the move', () => native.requests.length === 3);

    expect(askedAt(native, 2)[1]).to.equal('12');
    await reader.disconnect();
  });

  it('reads a partition the topic gained after the read began, from its start, and reports it as a join', async () => {
    const reader = createReader();
    const { native, events } = await start(reader);
    await until('the first fetch', () => native.requests.length === 1);

    native.partitionsCount = 3;
    native.answer({ partitions: {} });
    await until('a fetch with the new partition', () => native.requests.length === 2);

    expect(askedAt(native, 1)[2]).to.equal('0');
    expect(events.filter(({ type }) => type === 'group.joined').slice(-1)).to.deep.equal([
      { type: 'group.joined', memberId: '', assignment: { t: [0, 1, 2] } },
    ]);
    await reader.disconnect();
  });

  it('asks its partitions in a turning order, so none waits behind the others’ data for ever', async () => {
    const reader = createReader();
    const { native } = await start(reader);
    await until('the first fetch', () => native.requests.length === 1);
    native.answer({ partitions: {} });
    await until('the second fetch', () => native.requests.length === 2);

    const order = (n: number) => native.requests[n].topics[0].partitions.map(({ partition }) => partition);
    expect([order(0), order(1)]).to.deep.equal([
      [0, 1],
      [1, 0],
    ]);
    await reader.disconnect();
  });

  it('fetches a paused partition again after a reconnect, as the connection’s new partition actors run', async () => {
    const reader = createReader();
    const first = await start(reader);
    await until('the first fetch', () => first.native.requests.length === 1);
    reader.pause('t', 0);
    first.native.answer({ partitions: {} });
    await until('a fetch without the paused partition', () => first.native.requests.length === 2);
    expect(Object.keys(askedAt(first.native, 1))).to.deep.equal(['1']);

    const second = await start(reader);
    await until('the first fetch after the reconnect', () => second.native.requests.length === 1);

    expect(Object.keys(askedAt(second.native, 0)).sort()).to.deep.equal(['0', '1']);
    await reader.disconnect();
  });

  it('tries a failed fetch again with fresh metadata, logging the streak once; past its last wait it fails for good', async () => {
    const logger = new RecordingLogger();
    const reader = createReader(logger);
    const { native, events } = await start(reader);
    await until('the first fetch', () => native.requests.length === 1);

    const failed = new FakeKafkaError('REQUEST_TIMED_OUT', true);
    native.answer({ error: failed });
    native.answer({ error: failed });
    native.answer({ error: failed });
    await until('a crash for good', () => events.some((event) => event.type === 'crashed' && !event.restart));

    expect(native.requests).to.have.length(3);
    expect(native.metadataCleared).to.equal(2);
    expect(logger.find('warn', 'a fetch without a group failed')).to.have.length(1);
    expect(events.slice(1)).to.deep.equal([
      { type: 'crashed', error: failed, restart: true },
      { type: 'crashed', error: failed, restart: false },
    ]);
    expect(reader.isRunning()).to.equal(false);
    await reader.disconnect();
  });

  it('goes on past its last wait while the broker cannot be reached, and reports its partitions again once a fetch answers', async () => {
    const reader = createReader();
    const { native, events, batches } = await start(reader);
    await until('the first fetch', () => native.requests.length === 1);

    const lost = Object.assign(new FakeKafkaError('NETWORK', true), { code: 'PLT_KFK_NETWORK' });
    for (let n = 0; n < 4; n += 1) native.answer({ error: lost });
    native.answer({ partitions: { 0: { batches: [recordsBatch(0, 1)] } } });
    await until('a fetch after the answer', () => native.requests.length === 6);

    expect(events.map(({ type }) => type)).to.deep.equal(['group.joined', 'crashed', 'group.joined']);
    expect(events[1]).to.deep.equal({ type: 'crashed', error: lost, restart: true });
    expect(events[2]).to.deep.equal(events[0]);
    expect(batches.map(({ batch: { messages } }) => messages.map(({ offset }) => offset))).to.deep.equal([
      ['0'],
    ]);
    expect(reader.isRunning()).to.equal(true);
    await reader.disconnect();
  });

  it('reads on from its positions after a reconnect', async () => {
    const reader = createReader();
    const first = await start(reader);
    await until('the first fetch', () => first.native.requests.length === 1);
    first.native.answer({ partitions: { 0: { batches: [recordsBatch(0, 4)] } } });
    await until('the second fetch', () => first.native.requests.length === 2);

    const second = await start(reader);
    await until('the first fetch after the reconnect', () => second.native.requests.length === 1);

    expect(first.native.closed).to.equal(true);
    expect(askedAt(second.native, 0)).to.deep.equal({ 0: '4', 1: '0' });
    await reader.disconnect();
  });

  it('fails a fetch with an error that retrying cannot mend at once, as a crash', async () => {
    const reader = createReader();
    const { native, events } = await start(reader);
    await until('the first fetch', () => native.requests.length === 1);

    const refused = new FakeKafkaError('TOPIC_AUTHORIZATION_FAILED', false);
    native.answer({ error: refused });
    await until('a crash', () => events.some(({ type }) => type === 'crashed'));

    expect(native.requests).to.have.length(1);
    await reader.disconnect();
  });

  it('commits nothing: a commit is refused with the option to change', async () => {
    const reader = createReader();
    const error = await reader.commitOffsets([{ topic: 't', partition: 0, offset: '1' }]).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).to.have.property('code', 'RXK_INVALID_OPTIONS');
    expect(String(error)).to.contain('autoCommit');
  });
});
