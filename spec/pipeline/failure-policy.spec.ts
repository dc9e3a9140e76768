import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { NEVER, type Observable } from 'rxjs';
import { RxKafkaError } from '../../lib/errors';
import type { RetryPolicy } from '../../lib/handlers/retry-policy';
import { KafkaRetriableException, RpcException } from '../../lib/handlers/rpc-exception';
import { DeadLetterHeaders } from '../../lib/pipeline/dead-letter';
import {
  FailurePolicy,
  toFinalErrorPayload,
  type FailurePolicyOptions,
} from '../../lib/pipeline/failure-policy';
import { RecordingLogger } from '../support/recording-logger';
import {
  createContext,
  createHandler,
  createRawRecord,
  FakeProduceQueue,
  sleep,
} from '../support/pipeline-fakes';

const SERVER_RETRY: RetryPolicy = { attempts: 3, backoffMs: 200, maxBackoffMs: 5_000 };

function createPolicy(overrides: Partial<Omit<FailurePolicyOptions, 'produceQueue' | 'logger'>> = {}): {
  policy: FailurePolicy;
  queue: FakeProduceQueue;
  logger: RecordingLogger;
} {
  const queue = new FakeProduceQueue();
  const logger = new RecordingLogger();
  const policy = new FailurePolicy({
    retry: SERVER_RETRY,
    deadLetter: false,
    handlerTimeoutMs: 0,
    ...overrides,
    produceQueue: queue.asProduceQueue(),
    logger,
  });
  return { policy, queue, logger };
}

const handler = createHandler(() => undefined, { method: 'slay' });

async function rejectionOf(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** What an observable did under the test scheduler's virtual time. */
interface Notification {
  readonly at: number;
  readonly kind: 'next' | 'error' | 'complete';
  readonly value?: unknown;
}

function observeVirtually(
  build: (cold: TestScheduler['createColdObservable']) => Observable<unknown>,
): Notification[] {
  const scheduler = new TestScheduler((actual, expected) => {
    expect(actual).to.deep.equal(expected);
  });
  const seen: Notification[] = [];
  scheduler.run(({ cold, flush }) => {
    build(cold as TestScheduler['createColdObservable']).subscribe({
      next: (value) => seen.push({ at: scheduler.now(), kind: 'next', value }),
      error: (value: unknown) => seen.push({ at: scheduler.now(), kind: 'error', value }),
      complete: () => seen.push({ at: scheduler.now(), kind: 'complete' }),
    });
    flush();
  });
  return seen;
}

describe('FailurePolicy', () => {
  describe('.retryOf()', () => {
    it("gives the server's policy to a handler without a retry option of its own", () => {
      const { policy } = createPolicy();
      expect(policy.retryOf(handler)).to.deep.equal(SERVER_RETRY);
    });

    it("lays the handler's own fields over the server's", () => {
      const { policy } = createPolicy();
      const own = createHandler(() => undefined, { options: { retry: { attempts: 7 } } });
      expect(policy.retryOf(own)).to.deep.equal({ attempts: 7, backoffMs: 200, maxBackoffMs: 5_000 });
    });
  });

  describe('.deadLetterOf()', () => {
    const serverTopic = (topic: string): string => `server.${topic}.dead`;

    it("follows the server's setting when the handler has none", () => {
      expect(createPolicy().policy.deadLetterOf(handler)).to.equal(false);
      const withServer = createPolicy({ deadLetter: serverTopic }).policy;
      expect(withServer.deadLetterOf(handler)).to.equal(serverTopic);
    });

    it("turns dead letters off for a handler with deadLetter: false, whatever the server's setting", () => {
      const { policy } = createPolicy({ deadLetter: serverTopic });
      const own = createHandler(() => undefined, { options: { deadLetter: false } });
      expect(policy.deadLetterOf(own)).to.equal(false);
    });

    it('sends to <topic>.dlt for a handler with deadLetter: true', () => {
      const { policy } = createPolicy();
      const deadLetter = policy.deadLetterOf(
        createHandler(() => undefined, { options: { deadLetter: true } }),
      );
      expect(deadLetter && deadLetter('heroes.killed')).to.equal('heroes.killed.dlt');
    });

    it('sends to the named topic, from any source topic, for a handler with a topic name', () => {
      const { policy } = createPolicy({ deadLetter: serverTopic });
      const deadLetter = policy.deadLetterOf(
        createHandler(() => undefined, { options: { deadLetter: 'all.failures' } }),
      );
      expect(deadLetter && [deadLetter('a'), deadLetter('b')]).to.deep.equal([
        'all.failures',
        'all.failures',
      ]);
    });
  });

  describe('.serverDeadLetter', () => {
    it('is the server-wide setting, for records no handler saw', () => {
      const serverTopic = (topic: string): string => `${topic}.undecodable`;
      expect(createPolicy({ deadLetter: serverTopic }).policy.serverDeadLetter).to.equal(serverTopic);
      expect(createPolicy().policy.serverDeadLetter).to.equal(false);
    });
  });

  describe('.withTimeout()', () => {
    const kafkaContext = createContext(createRawRecord('heroes.kill'));

    context('with handlerTimeoutMs 0', () => {
      it('returns the observable as it is: a handler may stay silent forever', () => {
        const { policy } = createPolicy();
        const result = NEVER;
        expect(policy.withTimeout(result, handler, kafkaContext)).to.equal(result);
      });
    });

    context('with a handlerTimeoutMs', () => {
      it('lets through a stream whose values each come within the timeout, however long it runs', () => {
        const { policy } = createPolicy({ handlerTimeoutMs: 10 });
        const seen = observeVirtually((cold) =>
          policy.withTimeout(cold('a 8ms b 8ms c 8ms |'), handler, kafkaContext),
        );
        expect(seen.map(({ at, kind, value }) => [at, kind, value])).to.deep.equal([
          [0, 'next', 'a'],
          [9, 'next', 'b'],
          [18, 'next', 'c'],
          [27, 'complete', undefined],
        ]);
      });

      it('cuts a stream off with RXK_HANDLER_TIMEOUT once it stays silent that long', () => {
        const { policy } = createPolicy({ handlerTimeoutMs: 10 });
        const seen = observeVirtually((cold) => policy.withTimeout(cold('a 30ms b|'), handler, kafkaContext));
        expect(seen.map(({ at, kind }) => [at, kind])).to.deep.equal([
          [0, 'next'],
          [10, 'error'],
        ]);
        const error = seen[1].value as RxKafkaError;
        expect(RxKafkaError.isRxKafkaError(error)).to.equal(true);
        expect(error.code).to.equal('RXK_HANDLER_TIMEOUT');
        expect(error.message).to.equal('SpecController.slay produced nothing for 10 ms and was cut off');
        expect(error.context).to.deep.equal({ topic: 'heroes.kill', partition: 3 });
      });

      it('cuts off a stream that never emits at all', () => {
        const { policy } = createPolicy({ handlerTimeoutMs: 5 });
        const seen = observeVirtually(() => policy.withTimeout(NEVER, handler, kafkaContext));
        expect(seen.map(({ at, kind }) => [at, kind])).to.deep.equal([[5, 'error']]);
      });
    });
  });

  describe('.withDeadline()', () => {
    const kafkaContext = createContext(createRawRecord('heroes.kill'));

    it('resolves with the value of a Promise that settles in time', async () => {
      const { policy } = createPolicy({ handlerTimeoutMs: 1_000 });
      expect(await policy.withDeadline(Promise.resolve(42), handler, kafkaContext)).to.equal(42);
    });

    it('rejects with the error of a Promise that rejects in time', async () => {
      const { policy } = createPolicy({ handlerTimeoutMs: 1_000 });
      const failure = new RpcException('no dragons');
      expect(await rejectionOf(policy.withDeadline(Promise.reject(failure), handler, kafkaContext))).to.equal(
        failure,
      );
    });

    it('rejects with RXK_HANDLER_TIMEOUT when the Promise is still pending at the deadline', async () => {
      const { policy } = createPolicy({ handlerTimeoutMs: 3 });
      const error = (await rejectionOf(
        policy.withDeadline(new Promise(() => undefined), handler, kafkaContext),
      )) as RxKafkaError;
      expect(error.code).to.equal('RXK_HANDLER_TIMEOUT');
      expect(error.context).to.deep.equal({ topic: 'heroes.kill', partition: 3 });
    });

    it('waits for any Promise when handlerTimeoutMs is 0', async () => {
      const { policy } = createPolicy();
      let resolve: (value: string) => void = () => undefined;
      const result = policy.withDeadline(
        new Promise<string>((done) => (resolve = done)),
        handler,
        kafkaContext,
      );
      let outcome: unknown;
      void result.then((value) => (outcome = value));
      await sleep(3);
      expect(outcome).to.equal(undefined);
      resolve('late but fine');
      expect(await result).to.equal('late but fine');
    });

    it('takes any thenable, not only native Promises', async () => {
      const { policy } = createPolicy({ handlerTimeoutMs: 1_000 });
      const thenable: PromiseLike<string> = {
        then: (onValue) => Promise.resolve(onValue?.('from a thenable')) as never,
      };
      expect(await policy.withDeadline(thenable, handler, kafkaContext)).to.equal('from a thenable');
    });
  });

  describe('.deadLetter()', () => {
    const record = createRawRecord('heroes.killed', '{"hero":"x"}', { trace: 'abc' });
    const failure = { error: new Error('boom'), attempts: 3, handler: 'SpecController.slay' };

    it('writes nothing when dead letters are off', async () => {
      const { policy, queue } = createPolicy();
      await policy.deadLetter(record, failure, false);
      expect(queue.sends).to.deep.equal([]);
      expect(policy.deadLetters).to.equal(0);
    });

    it("writes the record, byte for byte with the failure's headers, to the topic the function names", async () => {
      const { policy, queue } = createPolicy();
      await policy.deadLetter(record, failure, (topic) => `${topic}.dlt`);
      expect(queue.sends.map(({ topic }) => topic)).to.deep.equal(['heroes.killed.dlt']);
      const [letter] = queue.sends[0].records;
      expect(letter.key).to.deep.equal(record.key);
      expect(letter.value).to.deep.equal(record.value);
      expect(letter.headers).to.include({
        trace: 'abc',
        [DeadLetterHeaders.ORIGINAL_TOPIC]: 'heroes.killed',
        [DeadLetterHeaders.ORIGINAL_PARTITION]: '3',
        [DeadLetterHeaders.ORIGINAL_OFFSET]: '41',
        [DeadLetterHeaders.EXCEPTION_MESSAGE]: 'boom',
        [DeadLetterHeaders.ATTEMPTS]: '3',
        [DeadLetterHeaders.HANDLER]: 'SpecController.slay',
      });
      expect(policy.deadLetters).to.equal(1);
    });

    context('when the dead-letter topic refuses the write', () => {
      it('rejects with the send error, so the record is not committed, and logs how to fix it', async () => {
        const { policy, queue, logger } = createPolicy();
        const refused = new Error('UNKNOWN_TOPIC_OR_PARTITION');
        queue.failure = () => refused;
        expect(await rejectionOf(policy.deadLetter(record, failure, () => 'missing.dlt'))).to.equal(refused);
        expect(policy.deadLetters).to.equal(0);
        const [line] = logger.find('error', 'writing the dead letter to missing.dlt failed');
        expect(line.message).to.include('create the topic, or turn deadLetter off');
        expect(line.fields).to.deep.equal({
          topic: 'heroes.killed',
          partition: 3,
          offset: '41',
          error: refused,
        });
      });
    });

    it('counts each dead letter written', async () => {
      const { policy } = createPolicy();
      await policy.deadLetter(record, failure, () => 'a.dlt');
      await policy.deadLetter(record, failure, () => 'b.dlt');
      expect(policy.deadLetters).to.equal(2);
    });
  });
});

describe('toFinalErrorPayload()', () => {
  it('tells the message of a KafkaRetriableException whose retries are spent', () => {
    expect(toFinalErrorPayload(new KafkaRetriableException('database busy'))).to.deep.equal({
      status: 'error',
      message: 'database busy',
    });
  });

  it("tells rxkafka's handler timeout as it is", () => {
    const timedOut = new RxKafkaError('RXK_HANDLER_TIMEOUT', 'X.y produced nothing for 5 ms and was cut off');
    expect(toFinalErrorPayload(timedOut)).to.deep.equal({
      status: 'error',
      message: 'X.y produced nothing for 5 ms and was cut off',
    });
  });

  it("answers an RpcException with NestJS's payload: a string as { status, message }, an object as it is", () => {
    expect(toFinalErrorPayload(new RpcException('no dragons'))).to.deep.equal({
      status: 'error',
      message: 'no dragons',
    });
    expect(toFinalErrorPayload(new RpcException({ code: 42 }))).to.deep.equal({ code: 42 });
  });

  it('hides any other error, an rxkafka error of another code included, behind Internal server error', () => {
    const internal = { status: 'error', message: 'Internal server error' };
    expect(toFinalErrorPayload(new Error('password=hunter2'))).to.deep.equal(internal);
    expect(toFinalErrorPayload(new RxKafkaError('RXK_SEND_FAILED', 'broker 3 said no'))).to.deep.equal(
      internal,
    );
    expect(toFinalErrorPayload(undefined)).to.deep.equal(internal);
  });
});
