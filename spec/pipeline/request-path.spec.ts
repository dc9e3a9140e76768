import { expect } from 'chai';
import { createHook } from 'node:async_hooks';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { NEVER, of, Subject } from 'rxjs';
import { NotAuthorizedError, RxKafkaError } from '../../lib/errors';
import type { RetryPolicy } from '../../lib/handlers/retry-policy';
import { KafkaRetriableException, RpcException } from '../../lib/handlers/rpc-exception';
import type { OutgoingRecord } from '../../lib/kafka/kafka-record';
import { DecidedErrorPayload } from '../../lib/pipeline/error-payload';
import type { HandledRecord } from '../../lib/pipeline/batch-runner-options';
import { FailurePolicy } from '../../lib/pipeline/failure-policy';
import { RequestPath } from '../../lib/pipeline/request-path';
import { createKafkaTracing, type KafkaTracing } from '../../lib/tracing/kafka-tracing';
import { NO_MESSAGE_HANDLER } from '../../lib/wire/kafka-headers';
import type { OutgoingMessage } from '../../lib/wire/outgoing-message';
import type { ReplyRoute } from '../../lib/wire/reply-route';
import { KafkaRequestSerializer, type Serializer } from '../../lib/wire/serializer';
import { parentSpanIdOf, registerInMemoryTracing, type InMemoryTracing } from '../support/in-memory-tracing';
import { RecordingLogger } from '../support/recording-logger';
import {
  createContext,
  createHandler,
  createRawRecord,
  FakeProduceQueue,
  settle,
  type FakeHandler,
} from '../support/pipeline-fakes';

const DISPOSED = Buffer.from([0]);
const ROUTE: ReplyRoute = { correlationId: '{"id":7}', replyTopic: 'heroes.kill.reply', replyPartition: 2 };
const INTERNAL_ERROR = '{"status":"error","message":"Internal server error"}';

interface Setup {
  readonly path: RequestPath;
  readonly queue: FakeProduceQueue;
  readonly logger: RecordingLogger;
}

function createPath(
  settings: {
    retry?: RetryPolicy;
    handlerTimeoutMs?: number;
    serializer?: Serializer;
    replyTimeoutMs?: number;
    tracing?: KafkaTracing;
  } = {},
): Setup {
  const queue = new FakeProduceQueue();
  const logger = new RecordingLogger();
  const failures = new FailurePolicy({
    retry: settings.retry ?? { attempts: 3, backoffMs: 0, maxBackoffMs: 0 },
    deadLetter: false,
    handlerTimeoutMs: settings.handlerTimeoutMs ?? 0,
    produceQueue: queue.asProduceQueue(),
    logger,
  });
  const path = new RequestPath({
    serializer: settings.serializer ?? new KafkaRequestSerializer(),
    produceQueue: queue.asProduceQueue(),
    replyTimeoutMs: settings.replyTimeoutMs,
    tracing: settings.tracing,
    failures,
    logger,
  });
  return { path, queue, logger };
}

const record = createRawRecord('heroes.kill', '{"dragon":"smaug"}');

/** Runs `handler` as the request of `record` and waits until its replies are acknowledged. */
async function handle(setup: Setup, handler: FakeHandler, route: ReplyRoute = ROUTE): Promise<void> {
  const handled = await setup.path.handle(handler, { dragon: 'smaug' }, createContext(record), route);
  await handled.acked;
}

function replies(queue: FakeProduceQueue): OutgoingRecord[] {
  return queue.records.map(({ record: reply }) => reply);
}

function valuesOf(queue: FakeProduceQueue): unknown[] {
  return replies(queue).map((reply) => reply.value);
}

function errorOf(reply: OutgoingRecord): string | undefined {
  const header = reply.headers?.['kafka_nest-err'];
  return header === undefined ? undefined : String(header);
}

function isDisposed(reply: OutgoingRecord): boolean {
  return reply.headers?.['kafka_nest-is-disposed'] !== undefined;
}

async function rejectionOf(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('RequestPath', () => {
  describe('.handle()', () => {
    context('when the handler returns a plain value', () => {
      it('sends one final reply to the reply topic and partition, echoing the correlation id', async () => {
        const setup = createPath();
        await handle(
          setup,
          createHandler(() => ({ hp: 0 })),
        );
        expect(setup.queue.sends.map(({ topic }) => topic)).to.deep.equal(['heroes.kill.reply']);
        expect(replies(setup.queue)).to.deep.equal([
          {
            value: '{"hp":0}',
            partition: 2,
            headers: { kafka_correlationId: Buffer.from('{"id":7}'), 'kafka_nest-is-disposed': DISPOSED },
          },
        ]);
        expect(setup.path.repliesSent).to.equal(1);
        expect(setup.path.errorReplies).to.equal(0);
      });

      it('makes few promises on the way (with a tracer SDK, async_hooks runs for each)', async () => {
        const setup = createPath();
        const handler = createHandler(() => ({ hp: 0 }));
        const context = createContext(record);
        let promises = 0;
        const hook = createHook({
          init: (_id, type) => {
            if (type === 'PROMISE') promises += 1;
          },
        }).enable();
        try {
          const handled = setup.path.handle(handler, { dragon: 'smaug' }, context, ROUTE);
          expect(handled).not.to.be.instanceOf(Promise);
          await (handled as HandledRecord).acked;
        } finally {
          hook.disable();
        }
        // This spec's await (two, with hooks on), the fake queue's send, the reply's send, its settling and
        // the guard toHandledRecord() adds: an async #send() or #settleReplies() would make one more each.
        expect(promises).to.equal(6);
      });

      it('gives the handler the payload and the context of its record', async () => {
        const setup = createPath();
        const seen: unknown[] = [];
        await handle(
          setup,
          createHandler((payload, context) => seen.push(payload, context.getTopic(), context.getPartition())),
        );
        expect(seen).to.deep.equal([{ dragon: 'smaug' }, 'heroes.kill', 3]);
      });

      it('leaves the partition to the partitioner when the route names none', async () => {
        const setup = createPath();
        await handle(
          setup,
          createHandler(() => 1),
          { ...ROUTE, replyPartition: undefined },
        );
        expect(replies(setup.queue)[0]).not.to.have.property('partition');
      });

      it('settles only once Kafka acknowledged the reply', async () => {
        const setup = createPath();
        setup.queue.hold();
        const handled = await setup.path.handle(
          createHandler(() => 'ok'),
          null,
          createContext(record),
          ROUTE,
        );
        let acked = false;
        void handled.acked.then(() => (acked = true));
        await settle();
        expect(setup.queue.sends).to.have.length(1);
        expect(acked).to.equal(false);
        expect(setup.path.repliesSent).to.equal(0);
        setup.queue.release();
        await handled.acked;
        expect(setup.path.repliesSent).to.equal(1);
      });

      it('returns synchronously (no Promise to await) for a synchronous handler', () => {
        const setup = createPath();
        const handled = setup.path.handle(
          createHandler(() => 'ok'),
          null,
          createContext(record),
          ROUTE,
        );
        expect(handled).to.have.property('acked');
        expect(handled).not.to.have.property('then');
      });

      it('bounds the wait for an unproven reply topic by replyTimeoutMs', async () => {
        const setup = createPath({ replyTimeoutMs: 1_234 });
        await handle(
          setup,
          createHandler(() => 'ok'),
        );
        expect(setup.queue.sends[0].options).to.deep.equal({ unprovenTimeoutMs: 1_234 });
      });

      it('runs the handler once', async () => {
        const setup = createPath();
        const handler = createHandler(() => 'ok');
        await handle(setup, handler);
        expect(handler.runs).to.equal(1);
      });
    });

    context('when the handler returns a Promise', () => {
      it('sends its value as the one final reply', async () => {
        const setup = createPath({ handlerTimeoutMs: 1_000 });
        await handle(
          setup,
          createHandler(async () => [1, 2]),
        );
        expect(valuesOf(setup.queue)).to.deep.equal(['[1,2]']);
        expect(isDisposed(replies(setup.queue)[0])).to.equal(true);
      });

      it('answers RXK_HANDLER_TIMEOUT when it is still pending after handlerTimeoutMs', async () => {
        const setup = createPath({ handlerTimeoutMs: 3 });
        await handle(
          setup,
          createHandler(() => new Promise(() => undefined), { method: 'hang' }),
        );
        const [reply] = replies(setup.queue);
        expect(reply.value).to.equal(null);
        expect(JSON.parse(errorOf(reply) ?? '')).to.deep.equal({
          status: 'error',
          message: 'SpecController.hang produced nothing for 3 ms and was cut off',
        });
        expect(isDisposed(reply)).to.equal(true);
      });

      it('answers a rejected RpcException with its payload', async () => {
        const setup = createPath();
        await handle(
          setup,
          createHandler(() => Promise.reject(new RpcException({ code: 42 }))),
        );
        expect(errorOf(replies(setup.queue)[0])).to.equal('{"code":42}');
        expect(setup.path.errorReplies).to.equal(1);
      });

      it('replies once per value when it resolves to an Observable, running the handler once', async () => {
        const setup = createPath();
        const handler = createHandler(async () => of('a', 'b'));
        await handle(setup, handler);
        expect(valuesOf(setup.queue)).to.deep.equal(['a', 'b']);
        expect(replies(setup.queue).map(isDisposed)).to.deep.equal([false, true]);
        expect(handler.runs).to.equal(1);
      });
    });

    context('when the handler returns an Observable', () => {
      it('sends each value as it comes, with is-disposed on the last only', async () => {
        const setup = createPath();
        await handle(
          setup,
          createHandler(() => of(1, 2, 3)),
        );
        expect(valuesOf(setup.queue)).to.deep.equal(['1', '2', '3']);
        expect(replies(setup.queue).map(isDisposed)).to.deep.equal([false, false, true]);
        expect(replies(setup.queue).map((reply) => reply.partition)).to.deep.equal([2, 2, 2]);
        expect(setup.path.repliesSent).to.equal(3);
      });

      it('answers an empty stream with one null reply marked disposed', async () => {
        const setup = createPath();
        await handle(
          setup,
          createHandler(() => of()),
        );
        expect(valuesOf(setup.queue)).to.deep.equal([null]);
        expect(isDisposed(replies(setup.queue)[0])).to.equal(true);
        expect(errorOf(replies(setup.queue)[0])).to.equal(undefined);
      });

      it('sends the values before an error, then the error as the final reply', async () => {
        const stream = createPath();
        const values = new Subject<number>();
        const handled = stream.path.handle(
          createHandler(() => values),
          null,
          createContext(record),
          ROUTE,
        );
        values.next(1);
        values.error(new RpcException('broke after one'));
        await (
          await handled
        ).acked;
        expect(valuesOf(stream.queue)).to.deep.equal(['1', null]);
        expect(errorOf(replies(stream.queue)[1])).to.equal('{"status":"error","message":"broke after one"}');
        expect(replies(stream.queue).map(isDisposed)).to.deep.equal([false, true]);
      });

      it('cuts a stream off with an error reply once it stays silent for handlerTimeoutMs', async () => {
        const setup = createPath({ handlerTimeoutMs: 3 });
        const values = new Subject<number>();
        const handled = setup.path.handle(
          createHandler(() => values),
          null,
          createContext(record),
          ROUTE,
        );
        values.next(1);
        await (
          await handled
        ).acked;
        expect(valuesOf(setup.queue)).to.deep.equal(['1', null]);
        expect(JSON.parse(errorOf(replies(setup.queue)[1]) ?? '').message).to.match(
          /produced nothing for 3 ms/,
        );
      });

      it('waits without end for a silent stream when handlerTimeoutMs is 0', async () => {
        const setup = createPath();
        const handled = Promise.resolve(
          setup.path.handle(
            createHandler(() => NEVER),
            null,
            createContext(record),
            ROUTE,
          ),
        );
        let done = false;
        void handled.then(() => (done = true));
        await settle();
        expect(done).to.equal(false);
        expect(setup.queue.sends).to.deep.equal([]);
      });
    });

    context('when the handler throws', () => {
      it("answers an RpcException with { status, message } and logs it at debug as the handler's answer", async () => {
        const setup = createPath();
        await handle(
          setup,
          createHandler(
            () => {
              throw new RpcException('no dragons here');
            },
            { method: 'refuse' },
          ),
        );
        const [reply] = replies(setup.queue);
        expect(reply.value).to.equal(null);
        expect(errorOf(reply)).to.equal('{"status":"error","message":"no dragons here"}');
        expect(isDisposed(reply)).to.equal(true);
        expect(reply.headers?.kafka_correlationId).to.deep.equal(Buffer.from('{"id":7}'));
        expect(reply.partition).to.equal(2);
        expect(setup.path.errorReplies).to.equal(1);
        const [line] = setup.logger.find('debug', 'SpecController.refuse answered with an error reply');
        expect(line.fields).to.include({
          topic: 'heroes.kill',
          partition: 3,
          offset: '41',
          correlationId: '{"id":7}',
        });
        expect(line.fields.reply).to.deep.equal({ status: 'error', message: 'no dragons here' });
        expect(setup.logger.find('warn', '')).to.deep.equal([]);
      });

      it('hides any other error behind Internal server error and logs it at warn', async () => {
        const setup = createPath();
        const failure = new Error('password=hunter2');
        await handle(
          setup,
          createHandler(() => {
            throw failure;
          }),
        );
        expect(errorOf(replies(setup.queue)[0])).to.equal(INTERNAL_ERROR);
        const [line] = setup.logger.find('warn', 'handler failed; sending an error reply');
        expect(line.fields.error).to.equal(failure);
      });

      it('still answers a handler that throws undefined', async () => {
        const setup = createPath();
        await handle(
          setup,
          createHandler(() => {
            throw undefined;
          }),
        );
        expect(errorOf(replies(setup.queue)[0])).to.equal(INTERNAL_ERROR);
        expect(setup.path.errorReplies).to.equal(1);
      });

      it("answers a NestJS filter's decided payload as it is, logging that payload", async () => {
        const setup = createPath();
        await handle(
          setup,
          createHandler(() => {
            throw new DecidedErrorPayload({ status: 'error', message: 'Internal server error' });
          }),
        );
        expect(errorOf(replies(setup.queue)[0])).to.equal(INTERNAL_ERROR);
        const [line] = setup.logger.find('warn', 'handler failed; sending an error reply');
        expect(line.fields).not.to.have.property('error');
        expect(line.fields.reply).to.deep.equal({ status: 'error', message: 'Internal server error' });
      });
    });

    context('when the handler fails for good with a dead-letter topic set', () => {
      it('writes no dead letter: the caller gets the error reply instead', async () => {
        const setup = createPath();
        const handler = createHandler(
          () => {
            throw new KafkaRetriableException('spent');
          },
          { options: { deadLetter: true, retry: { attempts: 2 } } },
        );
        await handle(setup, handler);
        expect(setup.queue.sends.map(({ topic }) => topic)).to.deep.equal(['heroes.kill.reply']);
      });
    });

    context('when the handler throws a KafkaRetriableException', () => {
      it('runs it again, and replies once with the value of the attempt that succeeds', async () => {
        const setup = createPath();
        const handler = createHandler(
          () => {
            if (handler.runs < 3) throw new KafkaRetriableException('busy');
            return 'third time';
          },
          { method: 'flaky' },
        );
        await handle(setup, handler);
        expect(handler.runs).to.equal(3);
        expect(valuesOf(setup.queue)).to.deep.equal(['third time']);
        expect(setup.path.errorReplies).to.equal(0);
        expect(
          setup.logger.find('warn', 'SpecController.flaky asked for a retry').map((l) => l.message),
        ).to.deep.equal([
          'SpecController.flaky asked for a retry (attempt 1 of 3)',
          'SpecController.flaky asked for a retry (attempt 2 of 3)',
        ]);
      });

      it('answers with its message once the attempts are spent, and logs the failure', async () => {
        const setup = createPath();
        const handler = createHandler(() => Promise.reject(new KafkaRetriableException('still busy')), {
          method: 'flaky',
        });
        await handle(setup, handler);
        expect(handler.runs).to.equal(3);
        expect(replies(setup.queue)).to.have.length(1);
        expect(errorOf(replies(setup.queue)[0])).to.equal('{"status":"error","message":"still busy"}');
        expect(setup.logger.find('error', 'SpecController.flaky failed after 3 attempts')).to.have.length(1);
      });

      it('counts the request among the error replies once its attempts are spent', async () => {
        const setup = createPath();
        await handle(
          setup,
          createHandler(() => {
            throw new KafkaRetriableException('still busy');
          }),
        );
        expect(setup.path.errorReplies).to.equal(1);
      });

      it("follows the handler's own retry option over the server's", async () => {
        const setup = createPath();
        const handler = createHandler(
          () => {
            throw new KafkaRetriableException('no retry for me');
          },
          { options: { retry: { attempts: 1 } } },
        );
        await handle(setup, handler);
        expect(handler.runs).to.equal(1);
        expect(errorOf(replies(setup.queue)[0])).to.equal('{"status":"error","message":"no retry for me"}');
      });

      it('does not retry once a stream has sent a value: the error is the final reply', async () => {
        const setup = createPath();
        const values = new Subject<string>();
        const handler = createHandler(() => values);
        const handled = setup.path.handle(handler, null, createContext(record), ROUTE);
        values.next('first');
        values.next('second');
        values.error(new KafkaRetriableException('too late to retry'));
        await (
          await handled
        ).acked;
        expect(handler.runs).to.equal(1);
        expect(valuesOf(setup.queue)).to.deep.equal(['first', 'second', null]);
        expect(errorOf(replies(setup.queue)[2])).to.equal('{"status":"error","message":"too late to retry"}');
      });
    });

    context('when the serializer fails', () => {
      it('answers Internal server error without running the handler again', async () => {
        const serializer: Serializer = {
          serialize: () => {
            throw new Error('cannot serialize');
          },
        };
        const setup = createPath({ serializer });
        const handler = createHandler(() => 'fine');
        await handle(setup, handler);
        expect(handler.runs).to.equal(1);
        expect(errorOf(replies(setup.queue)[0])).to.equal(INTERNAL_ERROR);
        expect(setup.logger.find('error', 'SpecController.handle failed')).to.have.length(1);
        expect(setup.path.errorReplies).to.equal(1);
      });

      it('answers Internal server error when an async serializer rejects, and logs it', async () => {
        const failure = new Error('schema registry down');
        const serializer: Serializer = { serialize: () => Promise.reject(failure) };
        const setup = createPath({ serializer });
        await handle(
          setup,
          createHandler(() => 'fine'),
        );
        expect(replies(setup.queue)).to.have.length(1);
        expect(errorOf(replies(setup.queue)[0])).to.equal(INTERNAL_ERROR);
        const [line] = setup.logger.find('error', 'SpecController.handle failed');
        expect(line.fields).to.include({ topic: 'heroes.kill', partition: 3, offset: '41', error: failure });
        expect(setup.path.errorReplies).to.equal(1);
      });

      it('sends what an async serializer resolves to', async () => {
        const serializer: Serializer = {
          serialize: async (value): Promise<OutgoingMessage> => ({
            key: 'k',
            value: `<${String(value)}>`,
            headers: { schema: '1' },
          }),
        };
        const setup = createPath({ serializer });
        await handle(
          setup,
          createHandler(() => 'fine'),
        );
        const [reply] = replies(setup.queue);
        expect(reply.value).to.equal('<fine>');
        expect(reply.key).to.equal('k');
        expect(reply.headers).to.include({ schema: '1' });
      });
    });

    context('when traced', () => {
      let sdk: InMemoryTracing;
      let tracing: KafkaTracing;

      beforeEach(() => {
        sdk = registerInMemoryTracing();
        tracing = createKafkaTracing(
          { clientId: 'svc', groupId: 'svc-group' },
          new RecordingLogger(),
        ) as KafkaTracing;
      });

      afterEach(() => sdk.unregister());

      it("sends the reply under a send span, child of the record's process span, ended once Kafka acknowledges it", async () => {
        const setup = createPath({ tracing });
        setup.queue.hold();
        const processSpan = tracing.startProcess(record);
        const handled = await setup.path.handle(
          createHandler(() => ({ hp: 0 })),
          { dragon: 'smaug' },
          createContext(record),
          ROUTE,
          processSpan,
        );
        await Promise.resolve();
        expect(sdk.spans()).to.deep.equal([]);
        setup.queue.release();
        await handled.acked;
        processSpan.end();
        const [send, process] = sdk.spans();
        expect(send.name).to.equal('send heroes.kill.reply');
        expect(send.kind).to.equal(SpanKind.PRODUCER);
        expect(send.attributes).to.include({ 'messaging.message.conversation_id': '{"id":7}' });
        expect(send.status.code).to.equal(SpanStatusCode.UNSET);
        expect(parentSpanIdOf(send)).to.equal(process.spanContext().spanId);
        const { traceId, spanId } = send.spanContext();
        expect(replies(setup.queue)[0].headers).to.include({ traceparent: `00-${traceId}-${spanId}-01` });
      });

      it("ends the reply's send span failed when Kafka refuses the reply", async () => {
        const setup = createPath({ tracing });
        const passing = new RxKafkaError('RXK_SEND_FAILED', 'leader moved', { retriable: true });
        setup.queue.failure = () => passing;
        const processSpan = tracing.startProcess(record);
        const handled = await setup.path.handle(
          createHandler(() => 'ok'),
          null,
          createContext(record),
          ROUTE,
          processSpan,
        );
        expect(await rejectionOf(handled.acked)).to.equal(passing);
        const [send] = sdk.spans();
        expect(send.name).to.equal('send heroes.kill.reply');
        expect(send.status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'leader moved' });
        expect(send.attributes).to.include({ 'error.type': 'RXK_SEND_FAILED' });
      });
    });

    context('when Kafka refuses a reply', () => {
      const refusedForGood = new RxKafkaError('RXK_SEND_FAILED', 'record too large', { retriable: false });

      it('skips the request (settles) when the refusal is for good, and logs it', async () => {
        const setup = createPath();
        setup.queue.failure = () => refusedForGood;
        await handle(
          setup,
          createHandler(() => 'ok'),
        );
        const [line] = setup.logger.find('error', 'a reply to heroes.kill.reply was refused by Kafka');
        expect(line.fields).to.include({
          topic: 'heroes.kill',
          partition: 3,
          offset: '41',
          correlationId: '{"id":7}',
          replyTopic: 'heroes.kill.reply',
          error: refusedForGood,
        });
        expect(setup.path.repliesSent).to.equal(0);
      });

      it('rejects, so the record is redelivered, when the refusal may pass', async () => {
        const setup = createPath();
        const passing = new RxKafkaError('RXK_SEND_FAILED', 'leader moved', { retriable: true });
        setup.queue.failure = () => passing;
        const handled = await setup.path.handle(
          createHandler(() => 'ok'),
          null,
          createContext(record),
          ROUTE,
        );
        expect(await rejectionOf(handled.acked)).to.equal(passing);
      });

      it('rejects on an error that is not an rxkafka verdict', async () => {
        const setup = createPath();
        const unknown = new Error('socket hang up');
        setup.queue.failure = () => unknown;
        const handled = await setup.path.handle(
          createHandler(async () => 'ok'),
          null,
          createContext(record),
          ROUTE,
        );
        expect(await rejectionOf(handled.acked)).to.equal(unknown);
      });

      it('skips the request when the reply topic is not authorized, but not when another topic is', async () => {
        const refusal = (topic: string): NotAuthorizedError =>
          new NotAuthorizedError(`no write on ${topic}`, {
            resourceType: 'topic',
            resourceName: topic,
            principal: 'User:x',
            topic,
          });
        const own = createPath();
        own.queue.failure = () => refusal('heroes.kill.reply');
        await handle(
          own,
          createHandler(() => 'ok'),
        );

        const other = createPath();
        const elsewhere = refusal('some.other.topic');
        other.queue.failure = () => elsewhere;
        const handled = await other.path.handle(
          createHandler(() => 'ok'),
          null,
          createContext(record),
          ROUTE,
        );
        expect(await rejectionOf(handled.acked)).to.equal(elsewhere);
      });

      it('skips a stream whose later reply is refused for good, after sending the others', async () => {
        const setup = createPath();
        setup.queue.failure = (_topic, records) => (records[0].value === '2' ? refusedForGood : undefined);
        await handle(
          setup,
          createHandler(() => of(1, 2, 3)),
        );
        expect(valuesOf(setup.queue)).to.deep.equal(['1', '2', '3']);
        expect(setup.logger.find('error', 'was refused by Kafka')).to.have.length(1);
      });

      it('rejects a stream whose later reply fails in a way that may pass', async () => {
        const setup = createPath();
        const passing = new RxKafkaError('RXK_SEND_FAILED', 'leader moved', { retriable: true });
        setup.queue.failure = (_topic, records) => (records[0].value === '2' ? passing : undefined);
        const handled = await setup.path.handle(
          createHandler(() => of(1, 2, 3)),
          null,
          createContext(record),
          ROUTE,
        );
        expect(await rejectionOf(handled.acked)).to.equal(passing);
      });

      it('logs a reply topic refused as a whole once per interval, however many requests name it', async () => {
        const setup = createPath();
        setup.queue.refusedTopics.add('heroes.kill.reply');
        setup.queue.failure = () => refusedForGood;
        for (let request = 0; request < 3; request++)
          await handle(
            setup,
            createHandler(() => request),
          );
        expect(setup.logger.find('error', 'was refused by Kafka')).to.have.length(1);
        expect(setup.logger.find('error', 'was refused by Kafka')[0].fields.suppressed).to.equal(0);
      });

      it('tells, on the next line for that topic after the interval, how many requests it left out', async () => {
        // The throttle reads the clock it was built with: the stand-in goes in before the path is built.
        const realNow = Date.now;
        let now = realNow();
        Date.now = () => now;
        let setup: Setup;
        try {
          setup = createPath();
          setup.queue.refusedTopics.add('heroes.kill.reply');
          setup.queue.failure = () => refusedForGood;
          for (let request = 0; request < 3; request++) {
            await handle(
              setup,
              createHandler(() => request),
            );
          }
          now += 10_000;
          await handle(
            setup,
            createHandler(() => 'one more'),
          );
        } finally {
          Date.now = realNow;
        }
        const lines = setup.logger.find('error', 'was refused by Kafka');
        expect(lines.map((line) => line.fields.suppressed)).to.deep.equal([0, 2]);
        expect(lines[1].message).to.include('(and 2 more requests naming it since the last line)');
      });
    });
  });

  describe('.replyNoHandler()', () => {
    it("answers NestJS's no-handler error on the reply route, without is-disposed", async () => {
      const setup = createPath();
      const message = createContext(record).getMessage();
      await setup.path.replyNoHandler(ROUTE, message).acked;
      expect(setup.queue.sends.map(({ topic }) => topic)).to.deep.equal(['heroes.kill.reply']);
      expect(replies(setup.queue)).to.deep.equal([
        {
          value: null,
          partition: 2,
          headers: {
            kafka_correlationId: Buffer.from('{"id":7}'),
            'kafka_nest-err': Buffer.from(NO_MESSAGE_HANDLER),
          },
        },
      ]);
      expect(setup.path.repliesSent).to.equal(1);
    });
  });
});
