import { expect } from 'chai';
import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  type Message,
  type Producer,
  type ProducerBatch,
  type RecordMetadata,
} from 'kafkajs';
import { ProduceQueue } from '../../lib/connection/produce-queue';
import { classifySendError } from '../../lib/kafka/kafkajs/classify-send-error';
import { RxKafkaError } from '../../lib/errors';

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
}

function createDeferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}

/** A kafkajs producer stand-in: records each sendBatch; `respond` decides its outcome. */
class FakeProducer {
  readonly calls: ProducerBatch[] = [];
  inFlight = 0;
  maxInFlight = 0;
  respond: (batch: ProducerBatch, call: number) => Promise<RecordMetadata[] | void> = async () => undefined;

  readonly sendBatch = async (batch: ProducerBatch): Promise<RecordMetadata[] | void> => {
    this.calls.push(batch);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.respond(batch, this.calls.length);
    } finally {
      this.inFlight -= 1;
    }
  };

  asProducer(): Producer {
    return this as unknown as Producer;
  }

  /** topic → values of each call, for compact assertions. */
  summary(): Array<Array<[string, unknown[]]>> {
    return this.calls.map((batch) =>
      (batch.topicMessages ?? []).map(({ topic, messages }): [string, unknown[]] => [
        topic,
        messages.map((message) => message.value),
      ]),
    );
  }
}

// The producer stands in for kafkajs's, so its failures are read as the kafkajs driver reads them.
const kafkajsErrors = { classifySendError };

function message(value: string): Message {
  return { value };
}

/** A kafkajs protocol error of a given Kafka error type, as kafkajs's retrier hands it over when it gives up. */
function exhaustedProtocolError(type: string, text: string): KafkaJSNumberOfRetriesExceeded {
  const cause = Object.assign(new KafkaJSProtocolError(text), { type });
  return new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 100 });
}

/** What kafkajs's sendBatch resolves with: one entry per topic-partition it wrote to. */
function writtenTo(batch: ProducerBatch): RecordMetadata[] {
  return (batch.topicMessages ?? []).flatMap(({ topic, messages }) =>
    [...new Set(messages.map((m) => m.partition ?? 0))].map((partition) => ({
      topicName: topic,
      partition,
      errorCode: 0,
    })),
  );
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function catchError(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  return undefined;
}

/**
 * Sends one message to each topic, so the queue counts them as proven (they share its batch from then on),
 * then forgets those calls. Returns how many messages it sent.
 */
async function proveTopics(queue: ProduceQueue, producer: FakeProducer, topics: string[]): Promise<number> {
  for (const topic of topics) await queue.send(topic, [message('proof')]);
  producer.calls.splice(0);
  producer.maxInFlight = 0;
  return topics.length;
}

/** Holds the first sendBatch open until `release()`; later calls get `respond`. */
function holdFirstCall(
  producer: FakeProducer,
  respond: FakeProducer['respond'] = async () => undefined,
): Deferred {
  const first = createDeferred();
  producer.respond = (batch, call) => (call === 1 ? first.promise : respond(batch, call));
  return first;
}

describe('ProduceQueue', () => {
  describe('.send()', () => {
    it('hands kafkajs every field of each message, and leaves the caller’s message as it was', async () => {
      const producer = new FakeProducer();
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      const full: Message = { key: 'k', value: 'v', headers: { h: '1' }, partition: 2, timestamp: '5' };
      const bare: Message = { value: null };
      await queue.send('a', [full, bare]);
      const [sentFull, sentBare] = producer.calls[0].topicMessages?.[0].messages ?? [];
      expect(sentFull).to.include({ key: 'k', value: 'v', partition: 2, timestamp: '5' });
      expect(sentFull.headers).to.equal(full.headers);
      expect(sentBare).to.include({
        value: null,
        key: undefined,
        partition: undefined,
        timestamp: undefined,
      });
      expect(full).to.deep.equal({ key: 'k', value: 'v', headers: { h: '1' }, partition: 2, timestamp: '5' });
      expect(bare).to.deep.equal({ value: null });
    });

    it('sends a lone message at once, in its own request', async () => {
      const producer = new FakeProducer();
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      await queue.send('hero.reply', [message('1')]);
      expect(producer.summary()).to.deep.equal([[['hero.reply', ['1']]]]);
      expect(queue.sentMessages).to.equal(1);
    });

    it('resolves an empty send without a request', async () => {
      const producer = new FakeProducer();
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      await queue.send('hero.reply', []);
      expect(producer.calls).to.deep.equal([]);
    });

    it('spreads sendConfig into every request', async () => {
      const producer = new FakeProducer();
      const queue = new ProduceQueue(producer.asProducer(), {
        ...kafkajsErrors,
        sendConfig: { acks: 1, timeout: 500 },
      });
      await queue.send('hero.reply', [message('1')]);
      expect(producer.calls[0]).to.include({ acks: 1, timeout: 500 });
    });

    it('sends what was queued during a request together in the next one, grouped by topic, in order', async () => {
      const producer = new FakeProducer();
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      const proofs = await proveTopics(queue, producer, ['a', 'b']);
      const first = holdFirstCall(producer);
      const sends = [queue.send('a', [message('1')])];
      await settle();
      sends.push(
        queue.send('b', [message('2')]),
        queue.send('a', [message('3')]),
        queue.send('b', [message('4')]),
      );
      await settle();
      expect(producer.calls).to.have.length(1);

      first.resolve();
      await Promise.all(sends);
      expect(producer.summary()).to.deep.equal([
        [['a', ['1']]],
        [
          ['b', ['2', '4']],
          ['a', ['3']],
        ],
      ]);
      expect(producer.maxInFlight).to.equal(1);
      expect(queue.sentMessages).to.equal(4 + proofs);
    });

    it('sends what is queued in one turn of the event loop in one request', async () => {
      const producer = new FakeProducer();
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      await Promise.all([queue.send('a', [message('1')]), queue.send('a', [message('2')])]);
      expect(producer.summary()).to.deep.equal([[['a', ['1', '2']]]]);
    });

    it('splits the queue into requests of at most maxBatchMessages messages', async () => {
      const producer = new FakeProducer();
      const first = holdFirstCall(producer);
      const queue = new ProduceQueue(producer.asProducer(), { ...kafkajsErrors, maxBatchMessages: 3 });
      const sends = [queue.send('a', [message('0')])];
      await settle();
      sends.push(
        queue.send('a', [message('1'), message('2')]),
        queue.send('a', [message('3'), message('4')]),
        queue.send('a', [message('5')]),
        queue.send('a', [message('6'), message('7'), message('8'), message('9')]),
      );
      first.resolve();
      await Promise.all(sends);
      expect(producer.summary()).to.deep.equal([
        [['a', ['0']]],
        [['a', ['1', '2']]],
        [['a', ['3', '4', '5']]],
        [['a', ['6', '7', '8', '9']]],
      ]);
    });

    it('rejects with a retriable RXK_SEND_FAILED keeping the cause when its request fails', async () => {
      const producer = new FakeProducer();
      const cause = new Error('This server does not host this topic-partition');
      producer.respond = () => Promise.reject(cause);
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      const error = await catchError(queue.send('hero.reply', [message('1')]));
      expect(RxKafkaError.isRxKafkaError(error)).to.equal(true);
      expect((error as RxKafkaError).code).to.equal('RXK_SEND_FAILED');
      expect((error as RxKafkaError).retriable).to.equal(true);
      expect((error as RxKafkaError).cause).to.equal(cause);
      expect((error as Error).message)
        .to.contain('hero.reply')
        .and.to.contain(cause.message);
      expect(queue.sentMessages).to.equal(0);
    });

    it('rejects every entry of a request that fails however it is sent, and keeps working afterwards', async () => {
      const producer = new FakeProducer();
      const cause = new Error('broker says no');
      const first = holdFirstCall(producer, () => Promise.reject(cause));
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      const lone = queue.send('a', [message('0')]);
      await settle();
      const failing = [queue.send('a', [message('1')]), queue.send('b', [message('2')])].map(catchError);
      first.resolve();
      await lone;
      const errors = await Promise.all(failing);
      expect(errors.map((error) => (error as RxKafkaError).code)).to.deep.equal([
        'RXK_SEND_FAILED',
        'RXK_SEND_FAILED',
      ]);
      expect(errors.map((error) => (error as RxKafkaError).cause)).to.deep.equal([cause, cause]);

      producer.respond = async () => undefined;
      await queue.send('a', [message('3')]);
      expect(producer.summary().at(-1)).to.deep.equal([['a', ['3']]]);
    });

    it('sends each entry of a failed request again alone, so only the bad entries reject', async () => {
      const producer = new FakeProducer();
      const cause = new KafkaJSProtocolError('This server does not host this topic-partition');
      const failOnBadTopic = async (batch: ProducerBatch): Promise<void> => {
        if (batch.topicMessages?.some(({ topic }) => topic === 'missing.reply')) throw cause;
      };
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      // A topic that worked before (since deleted) shares the batch; a new one would travel alone.
      const proofs = await proveTopics(queue, producer, ['a', 'missing.reply', 'b']);
      const first = holdFirstCall(producer, failOnBadTopic);
      const lone = queue.send('a', [message('0')]);
      await settle();
      const outcomes = [
        queue.send('a', [message('1')]),
        queue.send('missing.reply', [message('2')]),
        queue.send('b', [message('3')]),
      ].map(catchError);
      first.resolve();
      await lone;

      const [good, bad, alsoGood] = await Promise.all(outcomes);
      expect(good).to.equal(undefined);
      expect(alsoGood).to.equal(undefined);
      expect((bad as RxKafkaError).code).to.equal('RXK_SEND_FAILED');
      expect((bad as RxKafkaError).cause).to.equal(cause);
      expect((bad as Error).message).to.contain('missing.reply');
      expect(producer.summary()).to.deep.equal([
        [['a', ['0']]],
        [
          ['a', ['1']],
          ['missing.reply', ['2']],
          ['b', ['3']],
        ],
        [['a', ['1']]],
        [['missing.reply', ['2']]],
        [['b', ['3']]],
      ]);
      expect(queue.sentMessages).to.equal(3 + proofs);
      expect(producer.maxInFlight).to.equal(1);
    });

    it('does not send entries alone when the brokers are unreachable', async () => {
      const producer = new FakeProducer();
      const cause = new KafkaJSNumberOfRetriesExceeded(
        new KafkaJSConnectionError('Connection error: ECONNREFUSED'),
        {
          retryCount: 5,
          retryTime: 100,
        },
      );
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      await proveTopics(queue, producer, ['a', 'b']);
      const first = holdFirstCall(producer, () => Promise.reject(cause));
      const lone = queue.send('a', [message('0')]);
      await settle();
      const outcomes = [queue.send('a', [message('1')]), queue.send('b', [message('2')])].map(catchError);
      first.resolve();
      await lone;
      const errors = await Promise.all(outcomes);
      expect(errors.map((error) => (error as RxKafkaError).cause)).to.deep.equal([cause, cause]);
      expect(producer.calls).to.have.length(2);
    });

    it('keeps the order of later sends while it retries entries alone', async () => {
      const producer = new FakeProducer();
      const second = createDeferred();
      producer.respond = async (batch, call) => {
        if (call === 2) {
          await second.promise;
          throw new Error('one bad entry');
        }
      };
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      const lone = queue.send('a', [message('0')]);
      await settle();
      const queued = [queue.send('a', [message('1')]), queue.send('a', [message('2')])];
      await lone;
      await settle();
      const later = queue.send('a', [message('3')]);
      second.resolve();
      await Promise.all([...queued, later]);
      expect(producer.summary().slice(2)).to.deep.equal([[['a', ['1']]], [['a', ['2']]], [['a', ['3']]]]);
    });
  });

  context('with a topic no send has succeeded to yet', () => {
    it('sends it in a lane of its own, so a slow failure there holds no other topic', async () => {
      const producer = new FakeProducer();
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      await proveTopics(queue, producer, ['hero.reply']);
      const unknownTopic = createDeferred();
      producer.respond = async (batch) => {
        if (batch.topicMessages?.some(({ topic }) => topic === 'garbage.reply')) {
          await unknownTopic.promise;
          throw exhaustedProtocolError(
            'UNKNOWN_TOPIC_OR_PARTITION',
            'This server does not host this topic-partition',
          );
        }
      };
      const bad = catchError(queue.send('garbage.reply', [message('1')]));
      await settle();
      await queue.send('hero.reply', [message('2')]);
      expect(producer.summary()).to.deep.equal([[['garbage.reply', ['1']]], [['hero.reply', ['2']]]]);
      expect(producer.maxInFlight).to.equal(2);

      unknownTopic.resolve();
      const error = (await bad) as RxKafkaError;
      expect(error.code).to.equal('RXK_SEND_FAILED');
      expect(error.retriable).to.equal(false);
    });

    it('keeps that topic’s messages in order behind its first request, then batches them with the rest', async () => {
      const producer = new FakeProducer();
      const first = holdFirstCall(producer);
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      const sends = [queue.send('new', [message('1')])];
      await settle();
      sends.push(queue.send('new', [message('2')]), queue.send('new', [message('3')]));
      await settle();
      first.resolve();
      await Promise.all(sends);
      await Promise.all([queue.send('new', [message('4')]), queue.send('other', [message('5')])]);
      await Promise.all([queue.send('new', [message('6')]), queue.send('other', [message('7')])]);
      expect(producer.summary()).to.deep.equal([
        [['new', ['1']]],
        [['new', ['2', '3']]],
        [['new', ['4']]],
        [['other', ['5']]],
        [
          ['new', ['6']],
          ['other', ['7']],
        ],
      ]);
    });

    it('rejects every queued entry of a topic Kafka refuses at once, not one by one', async () => {
      const producer = new FakeProducer();
      const refused = exhaustedProtocolError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        'This server does not host this topic-partition',
      );
      const first = holdFirstCall(producer, () => Promise.reject(refused));
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      const lone = catchError(queue.send('garbage.reply', [message('0')]));
      await settle();
      const queued = [
        queue.send('garbage.reply', [message('1')]),
        queue.send('garbage.reply', [message('2')]),
      ];
      first.resolve();
      await lone;
      const errors = await Promise.all(queued.map(catchError));
      expect(errors.map((error) => (error as RxKafkaError).code)).to.deep.equal([
        'RXK_SEND_FAILED',
        'RXK_SEND_FAILED',
      ]);
      expect(producer.calls).to.have.length(2);
    });
  });

  describe('failures', () => {
    it('rejects an entry addressed to a partition the topic lacks, which kafkajs drops in silence', async () => {
      const producer = new FakeProducer();
      producer.respond = async (batch) =>
        writtenTo({
          ...batch,
          topicMessages: batch.topicMessages?.map(({ topic, messages }) => ({
            topic,
            messages: messages.filter((m) => m.partition !== 99),
          })),
        });
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      const outcomes = [
        queue.send('hero.reply', [{ value: 'lost', partition: 99 }]),
        queue.send('hero.reply', [{ value: 'kept', partition: 0 }]),
      ].map(catchError);
      const [lost, kept] = await Promise.all(outcomes);
      expect(kept).to.equal(undefined);
      expect((lost as RxKafkaError).code).to.equal('RXK_SEND_FAILED');
      expect((lost as RxKafkaError).retriable).to.equal(false);
      expect((lost as RxKafkaError).context).to.include({ topic: 'hero.reply', partition: 99 });
      expect((lost as Error).message).to.contain('no partition 99');
      expect(queue.sentMessages).to.equal(1);
    });

    it('sends again the messages kafkajs reported as sent but did not write (their leader died mid-request)', async () => {
      const producer = new FakeProducer();
      // The partitioner's choices, by value: the queue hands kafkajs messages of its own (see toEncodableMessage).
      const chosen = new Map<unknown, number>([
        ['1', 0],
        ['2', 1],
      ]);
      const first = message('1');
      const second = message('2');
      // The first answer lacks partition 1, as kafkajs's after a retry that skipped the dead leader's partitions.
      producer.respond = async (batch, call) => {
        const written = writtenTo({
          ...batch,
          topicMessages: batch.topicMessages?.map(({ topic, messages }) => ({
            topic,
            messages: messages.map((m) => ({ ...m, partition: chosen.get(m.value) })),
          })),
        });
        return call === 1 ? written.filter((meta) => meta.partition !== 1) : written;
      };
      const queue = new ProduceQueue(producer.asProducer(), {
        ...kafkajsErrors,
        partitionOf: (m) => chosen.get(m.value),
      });
      await queue.send('events', [first, second]);
      expect(producer.summary()).to.deep.equal([[['events', ['1', '2']]], [['events', ['2']]]]);
      expect(queue.sentMessages).to.equal(2);
    });

    it('rejects, retriable, an entry kafkajs reports as sent but never writes', async () => {
      const producer = new FakeProducer();
      producer.respond = async () => [];
      const queue = new ProduceQueue(producer.asProducer(), { ...kafkajsErrors, partitionOf: () => 0 });
      const error = (await catchError(queue.send('events', [message('1')]))) as RxKafkaError;
      expect(error.code).to.equal('RXK_SEND_FAILED');
      expect(error.retriable).to.equal(true);
      expect(error.message).to.contain('wrote nothing to partition 0');
    });

    it('checks nothing with acks 0, when Kafka answers nothing', async () => {
      const producer = new FakeProducer();
      producer.respond = async () => [];
      const queue = new ProduceQueue(producer.asProducer(), {
        ...kafkajsErrors,
        sendConfig: { acks: 0 },
        partitionOf: () => 0,
      });
      await queue.send('events', [message('1')]);
      expect(queue.sentMessages).to.equal(1);
    });

    it('marks a record Kafka refuses for good (too large) as not retriable, a lost connection as retriable', async () => {
      const producer = new FakeProducer();
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      producer.respond = () =>
        Promise.reject(
          Object.assign(
            new KafkaJSProtocolError('The request included a message larger than the max message size'),
            {
              type: 'MESSAGE_TOO_LARGE',
            },
          ),
        );
      const tooLarge = (await catchError(queue.send('a', [message('huge')]))) as RxKafkaError;
      producer.respond = () =>
        Promise.reject(
          new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: ECONNREFUSED'), {
            retryCount: 5,
            retryTime: 100,
          }),
        );
      const unreachable = (await catchError(queue.send('a', [message('small')]))) as RxKafkaError;
      expect([tooLarge.retriable, unreachable.retriable]).to.deep.equal([false, true]);
    });
  });

  describe('.sendForOffsets()', () => {
    it('resolves with each message’s offset: its partition’s base offset plus its place in the request', async () => {
      const producer = new FakeProducer();
      producer.respond = async (batch) =>
        writtenTo(batch).map((written) => ({ ...written, baseOffset: written.partition === 0 ? '40' : '7' }));
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      const first = queue.sendForOffsets('t', [
        { value: 'a', partition: 0 },
        { value: 'b', partition: 1 },
      ]);
      const plain = queue.send('t', [{ value: 'c', partition: 0 }]);
      const second = queue.sendForOffsets('t', [{ value: 'd', partition: 0 }]);
      expect(await first).to.deep.equal([
        { topic: 't', partition: 0, offset: '40' },
        { topic: 't', partition: 1, offset: '7' },
      ]);
      await plain;
      // One request carried a, b, c and d: c took offset 41 of partition 0, so d has 42.
      expect(producer.calls).to.have.length(1);
      expect(await second).to.deep.equal([{ topic: 't', partition: 0, offset: '42' }]);
    });

    it('rejects with RXK_SEND_FAILED when Kafka answers no offsets (acks 0)', async () => {
      const producer = new FakeProducer();
      const queue = new ProduceQueue(producer.asProducer(), { ...kafkajsErrors, sendConfig: { acks: 0 } });
      const error = await catchError(queue.sendForOffsets('t', [{ value: 'a', partition: 0 }]));
      expect((error as RxKafkaError).code).to.equal('RXK_SEND_FAILED');
    });
  });

  context('with unprovenTimeoutMs (a reply to a topic that never took a write)', () => {
    const never = (): Promise<never> => new Promise<never>(() => undefined);

    it('gives the send up after the bound, not retriable, and refuses the topic without a try meanwhile', async () => {
      const producer = new FakeProducer();
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      await proveTopics(queue, producer, ['hero.reply']);
      producer.respond = async (batch) => {
        if (batch.topicMessages?.some(({ topic }) => topic === 'missing.reply')) await never();
      };
      const started = Date.now();
      const error = (await catchError(
        queue.send('missing.reply', [message('1')], { unprovenTimeoutMs: 50 }),
      )) as RxKafkaError;
      expect(Date.now() - started).to.be.below(1_000);
      expect(error.code).to.equal('RXK_SEND_FAILED');
      expect(error.retriable).to.equal(false);
      expect(error.message).to.contain('did not within 50 ms');
      expect(queue.refuses('missing.reply')).to.equal(true);

      const again = (await catchError(
        queue.send('missing.reply', [message('2')], { unprovenTimeoutMs: 50 }),
      )) as RxKafkaError;
      expect(again).to.equal(error);
      await queue.send('hero.reply', [message('3')]);
      expect(producer.summary()).to.deep.equal([[['missing.reply', ['1']]], [['hero.reply', ['3']]]]);
    });

    it('fails the records queued behind the given-up send at once, not each after its own wait', async () => {
      const producer = new FakeProducer();
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      producer.respond = never;
      const first = catchError(queue.send('missing.reply', [message('1')], { unprovenTimeoutMs: 50 }));
      await settle();
      const started = Date.now();
      const queued = [2, 3].map((n) =>
        catchError(queue.send('missing.reply', [message(String(n))], { unprovenTimeoutMs: 60_000 })),
      );
      const errors = (await Promise.all([first, ...queued])) as RxKafkaError[];
      expect(Date.now() - started).to.be.below(1_000);
      expect(errors.map((error) => error.code)).to.deep.equal(Array(3).fill('RXK_SEND_FAILED'));
      expect(producer.calls, 'one request for the topic, not one per record').to.have.length(1);
    });

    it('waits as long as the producer takes for a topic that took a write', async () => {
      const producer = new FakeProducer();
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      await proveTopics(queue, producer, ['hero.reply']);
      producer.respond = () => new Promise((resolve) => setTimeout(resolve, 100));
      await queue.send('hero.reply', [message('1')], { unprovenTimeoutMs: 10 });
      expect(queue.refuses('hero.reply')).to.equal(false);
    });

    it('refuses a topic Kafka refused as a whole without a try for its next replies, not for other records', async () => {
      const producer = new FakeProducer();
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      producer.respond = async () => {
        throw exhaustedProtocolError(
          'UNKNOWN_TOPIC_OR_PARTITION',
          'This server does not host this topic-partition',
        );
      };
      const reply = { unprovenTimeoutMs: 0 };
      const first = (await catchError(queue.send('missing.reply', [message('1')], reply))) as RxKafkaError;
      expect(first.retriable).to.equal(false);
      const second = (await catchError(queue.send('missing.reply', [message('2')], reply))) as RxKafkaError;
      expect(second.message).to.equal(first.message);
      expect(second.retriable).to.equal(false);
      expect(producer.calls).to.have.length(1);
      // A dead letter or a client's record to the topic still gets Kafka's own answer.
      await catchError(queue.send('missing.reply', [message('3')]));
      expect(producer.calls).to.have.length(2);
    });
  });

  describe('.flush()', () => {
    it('resolves once everything queued has been sent', async () => {
      const producer = new FakeProducer();
      const first = holdFirstCall(producer);
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      const sends = [queue.send('a', [message('1')])];
      await settle();
      sends.push(queue.send('a', [message('2')]));
      let flushed = false;
      const flushing = queue.flush().then(() => (flushed = true));
      await settle();
      expect(flushed).to.equal(false);

      first.resolve();
      await flushing;
      expect(queue.sentMessages).to.equal(2);
      expect(producer.calls).to.have.length(2);
      await Promise.all(sends);
    });

    it('waits for the lanes of new topics too', async () => {
      const producer = new FakeProducer();
      const queue = new ProduceQueue(producer.asProducer(), kafkajsErrors);
      await proveTopics(queue, producer, ['a']);
      const first = holdFirstCall(producer);
      const sends = [queue.send('new', [message('1')]), queue.send('a', [message('2')])];
      let flushed = false;
      const flushing = queue.flush().then(() => (flushed = true));
      await settle();
      await settle();
      expect(flushed).to.equal(false);
      first.resolve();
      await flushing;
      await Promise.all(sends);
      expect(queue.sentMessages).to.equal(3);
    });

    it('resolves at once when nothing is queued', async () => {
      const queue = new ProduceQueue(new FakeProducer().asProducer(), kafkajsErrors);
      await queue.flush();
      expect(queue.sentMessages).to.equal(0);
    });
  });
});
