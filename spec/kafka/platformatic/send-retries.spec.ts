import { expect } from 'chai';
import { ConnectSteps } from '../../../lib/kafka/platformatic/connect-steps';
import {
  loadPlatformatic,
  type PlatformaticKafka,
} from '../../../lib/kafka/platformatic/platformatic-library';
import { PlatformaticProducer } from '../../../lib/kafka/platformatic/platformatic-producer';
import {
  isRetriable,
  retryOnFreshMetadata,
  sendUnwrittenAgain,
  toRetrySchedule,
} from '../../../lib/kafka/platformatic/send-retries';

const real = loadPlatformatic();
const { MultipleErrors, NetworkError, ProtocolError, UserError } = real;

const TOPIC = 'orders';

interface SentMessage {
  topic: string;
  partition?: number;
}

/**
 * @platformatic/kafka's Producer as far as a send to a lost leader goes: a send goes to the leader its
 * metadata named when the send began, and only `clearMetadata()` makes it look again (producer.js reads the
 * leader once, outside its retry loop). Node 1 led partition 0 and was killed; the cluster elected node 2.
 */
class FakeProducer {
  static last: FakeProducer;
  readonly options: Record<string, unknown>;
  readonly sends: Array<{ leader: number; messages: SentMessage[] }> = [];
  readonly dead = new Set<number>([1]);
  /** The leader of partition 0 in the metadata the producer holds. */
  knownLeader = 1;
  cleared = 0;
  currentMetadata: unknown = undefined;

  constructor(options: Record<string, unknown>) {
    this.options = options;
    FakeProducer.last = this;
  }

  metadata(): Promise<unknown> {
    this.currentMetadata = { topics: new Map([[TOPIC, { partitionsCount: 2 }]]), brokers: new Map() };
    return Promise.resolve(this.currentMetadata);
  }

  clearMetadata(): void {
    this.cleared += 1;
    this.currentMetadata = undefined;
    this.knownLeader = 2;
  }

  send(options: { messages: SentMessage[] }): Promise<unknown> {
    const leader = this.knownLeader;
    this.sends.push({ leader, messages: options.messages });
    const toPartition0 = options.messages.some(({ partition }) => partition === 0);
    const written = [...new Set(options.messages.map(({ partition }) => partition!))]
      .filter((partition) => partition !== 0 || !this.dead.has(leader))
      .map((partition) => ({ topic: TOPIC, partition, offset: 7n }));
    if (toPartition0 && this.dead.has(leader)) {
      // As the library reports a send that failed at one leader and not at the other.
      const error = new MultipleErrors('Producing messages failed.', [
        new MultipleErrors('produce failed 61 times.', [
          new NetworkError(`Connection to 127.0.0.1:900${leader} failed.`),
        ]),
      ]);
      Object.assign(error, { produced: { offsets: written } });
      return Promise.reject(error);
    }
    return Promise.resolve({ offsets: written });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function fakeLibrary(): PlatformaticKafka {
  return { Producer: FakeProducer, compatibilityPartitioner: () => 0 } as unknown as PlatformaticKafka;
}

function producerOf(retry: { retries?: number; retryDelay?: number }): PlatformaticProducer {
  const steps = new ConnectSteps({ clientId: 'spec', brokers: ['127.0.0.1:9001'] }, () => Promise.resolve());
  return new PlatformaticProducer({
    library: fakeLibrary(),
    base: { clientId: 'spec', bootstrapBrokers: ['127.0.0.1:9001'], ...retry },
    options: {},
    steps,
  });
}

const noWait = { sleep: () => Promise.resolve() };

describe('platformatic send retries', () => {
  describe('PlatformaticProducer (on a fake @platformatic/kafka whose partition 0 lost its leader)', () => {
    it('sends again to the new leader, on metadata fetched again, the records the dead one did not take', async () => {
      const producer = producerOf({ retries: 5, retryDelay: 1 });
      const written = await producer.sendBatch({
        topicMessages: [
          {
            topic: TOPIC,
            messages: [
              { value: 'a', partition: 0 },
              { value: 'b', partition: 1 },
            ],
          },
        ],
      });

      const native = FakeProducer.last;
      expect(written.map(({ partition }) => partition).sort()).to.deep.equal([0, 1]);
      expect(native.sends.map(({ leader }) => leader)).to.deep.equal([1, 2]);
      // Partition 1's leader took its record the first time: only partition 0's is sent again.
      expect(native.sends[1].messages.map(({ partition }) => partition)).to.deep.equal([0]);
      expect(native.cleared).to.equal(1);
    });

    it('gives its @platformatic/kafka producer no retries of its own (they would all go to the dead leader)', async () => {
      const producer = producerOf({ retries: 60, retryDelay: 1 });
      await producer.connect();
      expect(FakeProducer.last.options.retries).to.equal(false);
    });

    it('fails with the last error once the retries are spent', async () => {
      const producer = producerOf({ retries: 0, retryDelay: 1 });
      const sending = producer.sendBatch({
        topicMessages: [{ topic: TOPIC, messages: [{ value: 'a', partition: 0 }] }],
      });
      await sending.then(
        () => expect.fail('the send succeeded'),
        (error: Error) => expect(error.message).to.equal('Producing messages failed.'),
      );
      expect(FakeProducer.last.sends).to.have.length(1);
    });
  });

  describe('retryOnFreshMetadata()', () => {
    it('forgets the metadata before each retry, waiting the schedule of the attempt', async () => {
      const events: string[] = [];
      const result = await retryOnFreshMetadata(
        (attempt) => {
          events.push(`attempt ${attempt}`);
          return attempt < 2 ? Promise.reject(new NetworkError('Connection closed')) : Promise.resolve('ok');
        },
        {
          schedule: { retries: 5, delayMs: (attempt) => attempt * 100 },
          forgetMetadata: () => events.push('forget'),
          sleep: (ms) => {
            events.push(`wait ${ms}`);
            return Promise.resolve();
          },
        },
      );
      expect(result).to.equal('ok');
      expect(events).to.deep.equal([
        'attempt 0',
        'forget',
        'wait 100',
        'attempt 1',
        'forget',
        'wait 200',
        'attempt 2',
      ]);
    });

    it('does not retry a final error', async () => {
      let attempts = 0;
      const refused = new ProtocolError('TOPIC_AUTHORIZATION_FAILED');
      await retryOnFreshMetadata(
        () => {
          attempts += 1;
          return Promise.reject(refused);
        },
        { schedule: { retries: 5, delayMs: () => 0 }, forgetMetadata: () => undefined, ...noWait },
      ).then(
        () => expect.fail('it succeeded'),
        (error: unknown) => expect(error).to.equal(refused),
      );
      expect(attempts).to.equal(1);
    });

    it("retries only what the caller's own test allows", async () => {
      let attempts = 0;
      const lost = new NetworkError('Connection refused');
      const failed = await retryOnFreshMetadata(
        () => {
          attempts += 1;
          return Promise.reject(lost);
        },
        {
          schedule: { retries: 5, delayMs: () => 0 },
          forgetMetadata: () => undefined,
          isRetriable: (error) => error !== lost,
          ...noWait,
        },
      ).catch((error: unknown) => error);
      expect(failed).to.equal(lost);
      expect(attempts).to.equal(1);
    });
  });

  it('sendUnwrittenAgain() resolves at once, with nothing sent again, when the first send wrote everything', async () => {
    let sends = 0;
    const result = await sendUnwrittenAgain(
      [{ topic: TOPIC, partition: 1 }],
      () => {
        sends += 1;
        return Promise.resolve({ offsets: [{ topic: TOPIC, partition: 1, offset: 3n }] });
      },
      { schedule: { retries: 5, delayMs: () => 0 }, forgetMetadata: () => undefined, ...noWait },
    );
    expect(sends).to.equal(1);
    expect(result.offsets).to.deep.equal([{ topic: TOPIC, partition: 1, offset: 3n }]);
  });

  it('isRetriable() follows the library: anything with nothing in it marked final', () => {
    expect(isRetriable(new NetworkError('Connection closed'))).to.equal(true);
    expect(isRetriable(new MultipleErrors('failed', [new NetworkError('down')]))).to.equal(true);
    // A response cut short by a broker shutting down: the library's OutOfBoundsError says nothing of retries.
    const outOfBounds = Object.assign(new Error('Out of bounds.'), { code: 'OUT_OF_BOUNDS' });
    expect(isRetriable(new MultipleErrors('Producing messages failed.', [outOfBounds]))).to.equal(true);
    // The library's stand-in for UNKNOWN_TOPIC_OR_PARTITION, which it retried before it raised it.
    expect(isRetriable(new UserError('Unknown topic orders.'))).to.equal(true);
    expect(isRetriable(new UserError('Failed to serialize a message.'))).to.equal(false);
    expect(
      isRetriable(new MultipleErrors('failed', [new NetworkError('down'), new UserError('closed')])),
    ).to.equal(false);
  });

  it("toRetrySchedule() is the user's schedule, else the library's defaults (3 retries, 1 s apart)", () => {
    const doubling = toRetrySchedule(
      { retries: 60, retryDelay: (_client, _operation, attempt) => 100 * 2 ** (attempt - 1) },
      {},
      'produce',
    );
    expect(doubling.retries).to.equal(60);
    expect([1, 2, 3].map(doubling.delayMs)).to.deep.equal([100, 200, 400]);
    const defaults = toRetrySchedule({}, {}, 'produce');
    expect(defaults.retries).to.equal(3);
    expect(defaults.delayMs(1)).to.equal(1_000);
  });
});
