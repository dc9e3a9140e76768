import { expect } from 'chai';
import { RxKafkaError, type NotAuthorizedError } from '../../../lib/errors';
import { ConnectSteps } from '../../../lib/kafka/platformatic/connect-steps';
import {
  loadPlatformatic,
  type PlatformaticKafka,
} from '../../../lib/kafka/platformatic/platformatic-library';
import { toPlatformaticTransactionalOptions } from '../../../lib/kafka/platformatic/platformatic-options';
import { PlatformaticTransactionalProducer } from '../../../lib/kafka/platformatic/platformatic-transactional-producer';

const real = loadPlatformatic();
const { MultipleErrors, NetworkError, ProtocolError, ResponseError } = real;

const TRANSACTIONAL_ID = 'billing-tx-orders-0';
const GROUP = 'billing';

interface SentOptions {
  messages: Array<{ topic: string; partition?: number; key?: Buffer }>;
  acks?: number;
}

/**
 * @platformatic/kafka's Transaction, as far as the adapter uses it. A send goes to the leader its producer's
 * metadata names (`FakeProducer.knownLeader`); one to a dead broker fails for the partitions it leads, with
 * the others written (the library's `produced`), as a send to several leaders does.
 */
class FakeTransaction {
  readonly sends: Array<SentOptions & { leader: number }> = [];
  readonly added: Array<Array<{ topic: string; partition?: number }>> = [];
  readonly groups: string[] = [];
  ended: 'commit' | 'abort' | 'cancel' | undefined;
  constructor(private readonly producer: FakeProducer) {}

  addPartitions(_metadata: unknown, messages: Array<{ topic: string; partition?: number }>): Promise<void> {
    const failure = this.producer.coordinatorFailures.shift();
    if (failure) return Promise.reject(failure);
    this.added.push(messages.map(({ topic, partition }) => ({ topic, partition })));
    return Promise.resolve();
  }

  send(options: SentOptions): Promise<unknown> {
    const leader = this.producer.knownLeader;
    this.sends.push({ ...options, leader });
    const lost = this.producer.dead.has(leader);
    const offsets = options.messages
      .filter(({ partition }) => !lost || partition !== 2)
      .map(({ topic, partition }) => ({ topic, partition, offset: 41n }));
    if (!lost) return Promise.resolve({ offsets });
    const failure = new MultipleErrors('Producing messages failed.', [
      new NetworkError('Connection refused'),
    ]);
    return Promise.reject(Object.assign(failure, { produced: { offsets } }));
  }

  addConsumer(consumer: { groupId: string }): Promise<void> {
    const failure = this.producer.coordinatorFailures.shift();
    if (failure) return Promise.reject(failure);
    this.groups.push(consumer.groupId);
    return Promise.resolve();
  }

  commit(): Promise<void> {
    const failure = this.producer.failCommit ?? this.producer.coordinatorFailures.shift();
    if (failure) return Promise.reject(failure);
    return this.#end('commit');
  }

  abort(): Promise<void> {
    return this.#end('abort');
  }

  cancel(): Promise<void> {
    return this.#end('cancel');
  }

  #end(how: 'commit' | 'abort' | 'cancel'): Promise<void> {
    this.ended = how;
    if (this.producer.transaction === this) this.producer.transaction = undefined;
    return Promise.resolve();
  }
}

/** @platformatic/kafka's Producer, as far as the adapter uses it; the last one built is `FakeProducer.last`. */
class FakeProducer {
  static last: FakeProducer;
  readonly options: Record<string, unknown>;
  readonly begun: FakeTransaction[] = [];
  readonly beginOptions: unknown[] = [];
  readonly beginFailures: Error[] = [];
  transaction: FakeTransaction | undefined;
  failCommit: Error | undefined;
  /** Errors the next coordinator steps (AddPartitionsToTxn, AddOffsetsToTxn, EndTxn) fail with, in order. */
  readonly coordinatorFailures: Error[] = [];
  /** The leader of partition 2 in the metadata the producer holds: node 1, killed; the cluster elected 2. */
  knownLeader = 2;
  readonly dead = new Set<number>([1]);
  cleared = 0;
  readonly producerId = 7n;
  readonly producerEpoch = 3;
  readonly coordinatorId = 1;
  readonly currentMetadata = undefined;
  closed = false;

  constructor(options: Record<string, unknown>) {
    this.options = options;
    FakeProducer.last = this;
  }

  metadata(): Promise<unknown> {
    return Promise.resolve({ topics: new Map([['invoices', { partitionsCount: 3 }]]), brokers: new Map() });
  }

  clearMetadata(): void {
    this.cleared += 1;
    this.knownLeader = 2;
  }

  beginTransaction(options: unknown): Promise<FakeTransaction> {
    this.beginOptions.push(options);
    // As the library does: the transaction is its open one even when preparing it failed.
    this.transaction = new FakeTransaction(this);
    const failure = this.beginFailures.shift();
    if (failure) return Promise.reject(failure);
    this.begun.push(this.transaction);
    return Promise.resolve(this.transaction);
  }

  listApis(): Promise<unknown> {
    return Promise.resolve([
      { name: 'TxnOffsetCommit', apiKey: 28, minVersion: 0, maxVersion: 5 },
      { name: 'FindCoordinator', apiKey: 10, minVersion: 0, maxVersion: 6 },
    ]);
  }

  connectToBrokers(nodes: number[] | null): Promise<Map<number, unknown>> {
    return Promise.resolve(new Map((nodes ?? [1]).map((node) => [node, { node }])));
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** The API calls the adapter made through the library's exported API functions. */
interface ApiCalls {
  findCoordinator: unknown[][];
  txnOffsetCommit: unknown[][];
  /** Errors the next TxnOffsetCommits fail with, in order. */
  txnOffsetCommitFailures: Error[];
  /** The group coordinator FindCoordinator names, in order (the last one repeats). */
  coordinators: number[];
}

function fakeLibrary(calls: ApiCalls): PlatformaticKafka {
  return {
    Producer: FakeProducer,
    compatibilityPartitioner: () => 5,
    protocolErrors: real.protocolErrors,
    findCoordinatorV6: {
      api: {
        async: (...args: unknown[]) => {
          calls.findCoordinator.push(args);
          const nodeId = calls.coordinators.length > 1 ? calls.coordinators.shift() : calls.coordinators[0];
          return Promise.resolve({ coordinators: [{ key: GROUP, nodeId }] });
        },
      },
    },
    txnOffsetCommitV4: {
      api: {
        async: (...args: unknown[]) => {
          calls.txnOffsetCommit.push(args);
          const failure = calls.txnOffsetCommitFailures.shift();
          return failure ? Promise.reject(failure) : Promise.resolve({ topics: [] });
        },
      },
    },
  } as unknown as PlatformaticKafka;
}

describe('PlatformaticTransactionalProducer (on a fake @platformatic/kafka)', () => {
  let calls: ApiCalls;
  let producer: PlatformaticTransactionalProducer;

  function create(librarySettings: Record<string, unknown> = {}): PlatformaticTransactionalProducer {
    const target = { clientId: 'billing', brokers: ['localhost:9092'] };
    return new PlatformaticTransactionalProducer({
      library: fakeLibrary(calls),
      base: { clientId: 'billing', bootstrapBrokers: ['localhost:9092'], retryDelay: 1 },
      options: toPlatformaticTransactionalOptions(librarySettings),
      transactionalId: TRANSACTIONAL_ID,
      steps: new ConnectSteps(target, () => Promise.resolve()),
    });
  }

  beforeEach(() => {
    calls = { findCoordinator: [], txnOffsetCommit: [], txnOffsetCommitFailures: [], coordinators: [2] };
    producer = create();
  });

  it('builds an idempotent producer of its transactional id, 60 s transactions and no retries of its own', () => {
    const { options } = FakeProducer.last;
    expect(options).to.include({
      transactionalId: TRANSACTIONAL_ID,
      idempotent: true,
      timeout: 60_000,
      // The adapter retries (transactional-retries.ts); `false`, as an idempotent producer's 0 means "forever".
      retries: false,
    });
    create({ transactionTimeout: 10_000 });
    expect(FakeProducer.last.options.timeout).to.equal(10_000);
  });

  it('fences at connect: begins a transaction as a new producer (no id, no epoch), then cancels it', async () => {
    await producer.connect();
    const native = FakeProducer.last;
    expect(native.beginOptions).to.deep.equal([{ producerId: -1n, producerEpoch: -1 }]);
    expect(native.begun.map(({ ended }) => ended)).to.deep.equal(['cancel']);
    expect(native.transaction).to.equal(undefined);
  });

  it('sends records and the group offsets in one transaction, then commits it', async () => {
    await producer.connect();
    const transaction = await producer.transaction();
    const written = await transaction.sendBatch({
      topicMessages: [{ topic: 'invoices', messages: [{ key: 'k1', value: 'v1' }] }],
    });
    await transaction.sendOffsets(GROUP, {
      topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '42' }] }],
    });
    await transaction.commit();

    const native = FakeProducer.last;
    const [, opened] = native.begun;
    // The partition kafkajs's partitioner chooses (5 % 3 partitions), every replica acknowledging.
    expect(opened.added).to.deep.equal([[{ topic: 'invoices', partition: 2 }]]);
    expect(opened.sends.map(({ messages, acks }) => [messages[0].partition, acks])).to.deep.equal([[2, -1]]);
    expect(written).to.deep.equal([{ topicName: 'invoices', partition: 2, errorCode: 0, baseOffset: '41' }]);
    expect(opened.groups).to.deep.equal([GROUP]);
    // Looked up from the broker the producer talks to; committed at the group's coordinator (node 2).
    expect(calls.findCoordinator).to.deep.equal([[{ node: 1 }, 0, [GROUP]]]);
    expect(calls.txnOffsetCommit).to.deep.equal([
      [
        { node: 2 },
        TRANSACTIONAL_ID,
        GROUP,
        7n,
        3,
        -1,
        '',
        null,
        [
          {
            name: 'orders',
            partitions: [
              { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: null },
            ],
          },
        ],
      ],
    ]);
    expect(opened.ended).to.equal('commit');
  });

  it('ends a transaction that holds nothing in the client alone, as kafkajs does', async () => {
    await producer.connect();
    await (await producer.transaction()).abort();
    await (await producer.transaction()).commit();
    expect(FakeProducer.last.begun.map(({ ended }) => ended)).to.deep.equal(['cancel', 'cancel', 'cancel']);
  });

  it('raises RXK_PRODUCER_FENCED when a newer producer took over, and drops the library transaction', async () => {
    await producer.connect();
    const native = FakeProducer.last;
    native.failCommit = new MultipleErrors('endTransaction failed 1 times.', [
      new ResponseError(26, 4, { '/': [90, null] }, {}),
    ]);
    const transaction = await producer.transaction();
    await transaction.sendOffsets(GROUP, {
      topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '1' }] }],
    });
    const error = await transaction.commit().catch((failed: unknown) => failed);
    expect(RxKafkaError.isRxKafkaError(error) && error.code).to.equal('RXK_PRODUCER_FENCED');
    expect((error as RxKafkaError).cause).to.equal(native.failCommit);
    expect(native.transaction).to.equal(undefined);
  });

  it('begins again while the coordinator answers CONCURRENT_TRANSACTIONS, cancelling the failed begin', async () => {
    const native = FakeProducer.last;
    native.beginFailures.push(
      new MultipleErrors('initProducerId failed 6 times.', [new ProtocolError('CONCURRENT_TRANSACTIONS')]),
    );
    await producer.connect();
    expect(native.beginOptions).to.have.length(2);
    expect(native.begun.map(({ ended }) => ended)).to.deep.equal(['cancel']);
  });

  it('raises RXK_NOT_AUTHORIZED naming the transactional id when the authorizer refuses it', async () => {
    const refusal = new ResponseError(
      10,
      6,
      { '/coordinators/0': [53, null] },
      {
        coordinators: [{ key: TRANSACTIONAL_ID, errorCode: 53 }],
      },
    );
    FakeProducer.last.beginFailures.push(refusal);
    const error = (await producer.connect().catch((failed: unknown) => failed)) as NotAuthorizedError;
    expect(error.code).to.equal('RXK_NOT_AUTHORIZED');
    expect(error.resourceType).to.equal('transactionalId');
    expect(error.resourceName).to.equal(TRANSACTIONAL_ID);
  });

  it('looks the group coordinator up again when the one it knew moved', async () => {
    calls.coordinators = [2, 3];
    calls.txnOffsetCommitFailures.push(
      new ResponseError(28, 4, { '/topics/0/partitions/0': [16, null] }, {}),
    );
    await producer.connect();
    const transaction = await producer.transaction();
    await transaction.sendOffsets(GROUP, {
      topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '9' }] }],
    });
    expect(calls.findCoordinator).to.have.length(2);
    expect(calls.txnOffsetCommit.map(([connection]) => connection)).to.deep.equal([{ node: 2 }, { node: 3 }]);
  });

  context('when the leader of a partition it sends to was lost', () => {
    it('sends that partition’s records again on fresh metadata, in the same transaction', async () => {
      await producer.connect();
      const native = FakeProducer.last;
      native.knownLeader = 1;
      const transaction = await producer.transaction();
      const written = await transaction.sendBatch({
        topicMessages: [
          {
            topic: 'invoices',
            messages: [
              { key: 'k1', value: 'v1', partition: 2 },
              { key: 'k2', value: 'v2', partition: 0 },
            ],
          },
        ],
      });
      await transaction.commit();

      const [, opened] = native.begun;
      // Added once, before the first send; the send again holds only the partition not written.
      expect(opened.added).to.have.length(1);
      expect(
        opened.sends.map(({ leader, messages }) => [leader, messages.map((m) => m.partition)]),
      ).to.deep.equal([
        [1, [2, 0]],
        [2, [2]],
      ]);
      expect(native.cleared).to.be.above(0);
      expect(written.map(({ partition }) => partition).sort()).to.deep.equal([0, 2]);
      expect(opened.ended).to.equal('commit');
    });
  });

  context('when a coordinator step fails', () => {
    it('runs it again after an answer that says "later"', async () => {
      await producer.connect();
      const native = FakeProducer.last;
      native.coordinatorFailures.push(new ProtocolError('COORDINATOR_LOAD_IN_PROGRESS'));
      const transaction = await producer.transaction();
      await transaction.sendOffsets(GROUP, {
        topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '1' }] }],
      });
      expect(native.begun[1].groups).to.deep.equal([GROUP]);
    });

    it('fails at once when the coordinator it knows is lost: the runtime runs the batch again on a new producer', async () => {
      await producer.connect();
      const native = FakeProducer.last;
      const lost = new NetworkError('Connection refused');
      native.coordinatorFailures.push(lost, lost);
      const transaction = await producer.transaction();
      const error = await transaction
        .sendBatch({ topicMessages: [{ topic: 'invoices', messages: [{ key: 'k1', value: 'v1' }] }] })
        .catch((failed: unknown) => failed);
      expect(error).to.be.instanceOf(Error);
      expect(native.begun[1].sends).to.deep.equal([]);
      // Tried once: the second failure is still there.
      expect(native.coordinatorFailures).to.deep.equal([lost]);
    });
  });

  it('disconnects by closing the library producer', async () => {
    await producer.disconnect();
    expect(FakeProducer.last.closed).to.equal(true);
  });
});
