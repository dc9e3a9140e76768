import { expect } from 'chai';
import { Container } from 'inversify';
import type { Consumer, IHeaders, Message, Producer } from 'kafkajs';
import { NEVER, of, Subject, type Observable } from 'rxjs';
import type { ProduceQueue } from '../../lib/connection/produce-queue';
import { Controller, registerControllers } from '../../lib/handlers/controller';
import { EventPattern } from '../../lib/handlers/event-pattern';
import { HandlerRegistry } from '../../lib/handlers/handler-registry';
import { MessagePattern } from '../../lib/handlers/message-pattern';
import { Payload } from '../../lib/handlers/param-decorators';
import { KafkaRetriableException, RpcException } from '../../lib/handlers/rpc-exception';
import { NotAuthorizedError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { MessageRouter, type RecordTools } from '../../lib/pipeline/message-router';
import type { RetryPolicy } from '../../lib/handlers/retry-policy';
import { KafkaRequestDeserializer } from '../../lib/wire/deserializer';
import { NO_MESSAGE_HANDLER } from '../../lib/wire/kafka-headers';
import { KafkaParser, type RawKafkaRecord } from '../../lib/wire/parser';
import { KafkaRequestSerializer, type Serializer } from '../../lib/wire/serializer';

const CORRELATION_ID = '{"not":"parsed"}';
const DISPOSED = Buffer.from([0]);

@Controller()
class RouterSpecController {
  readonly calls: Record<string, unknown[]> = {};
  stream$: Observable<unknown> = of();
  attemptsBeforeSuccess = Infinity;

  @MessagePattern('router.hang')
  hang(): Observable<never> {
    return NEVER;
  }

  @MessagePattern('router.sum')
  sum(@Payload() numbers: number[]): number {
    this.#record('sum', numbers);
    return numbers.reduce((total, n) => total + n, 0);
  }

  @MessagePattern('router.async.sum')
  async asyncSum(@Payload() numbers: number[]): Promise<number> {
    await Promise.resolve();
    return numbers.reduce((total, n) => total + n, 0);
  }

  @MessagePattern('router.async.hang')
  asyncHang(): Promise<never> {
    return new Promise(() => undefined);
  }

  @MessagePattern('router.async.flaky')
  async asyncFlaky(): Promise<string> {
    const attempt = this.#record('asyncFlaky', undefined);
    if (attempt < this.attemptsBeforeSuccess) throw new KafkaRetriableException('try again later');
    return `ok after ${attempt}`;
  }

  @MessagePattern('router.stream')
  stream(): Observable<unknown> {
    return this.stream$;
  }

  @MessagePattern('router.fail.string')
  failString(): never {
    throw new RpcException('no dragons here');
  }

  @MessagePattern('router.fail.object')
  failObject(): Promise<never> {
    return Promise.reject(new RpcException({ status: 'error', code: 42 }));
  }

  @MessagePattern('router.fail.undefined')
  failUndefined(): never {
    throw undefined;
  }

  @MessagePattern('router.fail.unknown')
  failUnknown(): never {
    throw new Error('database password is hunter2');
  }

  @MessagePattern('router.flaky')
  flaky(): string {
    const attempt = this.#record('flaky', undefined);
    if (attempt < this.attemptsBeforeSuccess) throw new KafkaRetriableException('try again later');
    return `ok after ${attempt}`;
  }

  @EventPattern('router.killed')
  onKilled(@Payload() data: unknown): void {
    this.#record('onKilled', data);
  }

  @EventPattern('router.poison', { retry: { attempts: 2, backoffMs: 0 }, deadLetter: true })
  poison(): void {
    this.#record('poison', undefined);
    throw new KafkaRetriableException('still broken');
  }

  @EventPattern('router.stuck')
  stuck(): Promise<void> {
    this.#record('stuck', undefined);
    return new Promise(() => undefined);
  }

  @EventPattern('router.async')
  async onAsync(@Payload() data: unknown): Promise<void> {
    await Promise.resolve();
    this.#record('onAsync', data);
  }

  @EventPattern('router.broken')
  broken(): void {
    this.#record('broken', undefined);
    throw new Error('event handler failed');
  }

  #record(name: string, value: unknown): number {
    this.calls[name] = [...(this.calls[name] ?? []), value];
    return this.calls[name].length;
  }
}

interface LogEntry {
  readonly level: keyof Logger;
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

function createRecordingLogger(entries: LogEntry[]): Logger {
  const write = (level: keyof Logger) => (message: string, fields?: Record<string, unknown>) => {
    entries.push({ level, message, fields });
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

interface Sent {
  readonly topic: string;
  readonly messages: Message[];
}

interface Setup {
  readonly router: MessageRouter;
  readonly controller: RouterSpecController;
  readonly sent: Sent[];
  readonly logs: LogEntry[];
}

const policy: RetryPolicy = { attempts: 3, backoffMs: 1, maxBackoffMs: 1 };

function createSetup(
  send?: (topic: string, messages: Message[]) => Promise<void>,
  handlerTimeoutMs = 0,
  serializer: Serializer = new KafkaRequestSerializer(),
): Setup {
  const container = new Container();
  registerControllers(container, [RouterSpecController]);
  const registry = HandlerRegistry.fromContainer(container, [RouterSpecController]);
  const sent: Sent[] = [];
  const logs: LogEntry[] = [];
  const produceQueue = {
    send:
      send ??
      (async (topic: string, messages: Message[]) => {
        sent.push({ topic, messages });
      }),
    // No topic is refused as a whole here: each refused reply fails on its own send.
    refuses: () => false,
  } as unknown as ProduceQueue;
  const router = new MessageRouter({
    registry,
    parser: new KafkaParser(),
    deserializer: new KafkaRequestDeserializer(),
    serializer,
    produceQueue,
    retry: policy,
    handlerTimeoutMs,
    deadLetter: false,
    logger: createRecordingLogger(logs),
  });
  return { router, controller: container.get(RouterSpecController), sent, logs };
}

function createRecord(topic: string, value: unknown, headers: IHeaders = {}): RawKafkaRecord {
  return {
    topic,
    partition: 4,
    offset: '17',
    key: null,
    value: Buffer.from(JSON.stringify(value)),
    timestamp: '1700000000000',
    attributes: 0,
    headers,
  };
}

function requestHeaders(replyTopic: string, replyPartition: string | null = '2'): IHeaders {
  const headers: IHeaders = {
    kafka_correlationId: Buffer.from(CORRELATION_ID),
    kafka_replyTopic: Buffer.from(replyTopic),
  };
  if (replyPartition !== null) headers.kafka_replyPartition = Buffer.from(replyPartition);
  return headers;
}

const tools: RecordTools = {
  consumer: {} as Consumer,
  producer: {} as Producer,
  heartbeat: async () => undefined,
};

function allReplies(sent: readonly Sent[]): Message[] {
  return sent.flatMap((entry) => entry.messages);
}

function errorHeader(message: Message): unknown {
  const header = message.headers?.['kafka_nest-err'];
  return header === undefined ? undefined : String(header);
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('MessageRouter', () => {
  describe('.handle()', () => {
    context('with a request (correlation id and reply topic headers)', () => {
      it('replies on the reply topic and partition, echoing the correlation id byte for byte', async () => {
        const { router, sent } = createSetup();
        await router.handle(createRecord('router.sum', [1, 2], requestHeaders('router.sum.reply')), tools);
        expect(sent.map((entry) => entry.topic)).to.deep.equal(['router.sum.reply']);
        expect(allReplies(sent)).to.deep.equal([
          {
            value: '3',
            partition: 2,
            headers: { kafka_correlationId: Buffer.from(CORRELATION_ID), 'kafka_nest-is-disposed': DISPOSED },
          },
        ]);
        expect(router.repliesSent).to.equal(1);
      });

      it('replies once per value of a stream, with is-disposed on the last only', async () => {
        const { router, controller, sent } = createSetup();
        controller.stream$ = of(1, 2, 3);
        await router.handle(
          createRecord('router.stream', null, requestHeaders('router.stream.reply')),
          tools,
        );
        const replies = allReplies(sent);
        expect(replies.map((reply) => reply.value)).to.deep.equal(['1', '2', '3']);
        expect(replies.map((reply) => reply.headers?.['kafka_nest-is-disposed'])).to.deep.equal([
          undefined,
          undefined,
          DISPOSED,
        ]);
        expect(router.repliesSent).to.equal(3);
      });

      it('sends a streamed value before the stream ends', async () => {
        const { router, controller, sent } = createSetup();
        const values = new Subject<number>();
        controller.stream$ = values;
        const handled = Promise.resolve(
          router.handle(createRecord('router.stream', null, requestHeaders('router.stream.reply')), tools),
        );
        await settle();
        values.next(1);
        values.next(2);
        await settle();
        expect(allReplies(sent).map((reply) => reply.value)).to.deep.equal(['1']);

        let done = false;
        void handled.then(() => (done = true));
        await settle();
        expect(done).to.equal(false);

        values.complete();
        await handled;
        expect(allReplies(sent).map((reply) => reply.value)).to.deep.equal(['1', '2']);
      });

      it('replies to an empty stream with one null value marked disposed', async () => {
        const { router, controller, sent } = createSetup();
        controller.stream$ = of();
        await router.handle(
          createRecord('router.stream', null, requestHeaders('router.stream.reply')),
          tools,
        );
        expect(allReplies(sent)).to.deep.equal([
          {
            value: null,
            partition: 2,
            headers: { kafka_correlationId: Buffer.from(CORRELATION_ID), 'kafka_nest-is-disposed': DISPOSED },
          },
        ]);
      });

      it('sets no partition when kafka_replyPartition is not a number', async () => {
        const { router, sent } = createSetup();
        await router.handle(
          createRecord('router.sum', [1], requestHeaders('router.sum.reply', 'abc')),
          tools,
        );
        expect(allReplies(sent)).to.have.length(1);
        expect(allReplies(sent)[0]).not.to.have.property('partition');
      });

      it('logs a flood of requests with a broken kafka_replyPartition a few times per interval, yet answers each', async () => {
        const { router, sent, logs } = createSetup();
        for (let i = 0; i < 50; i++) {
          await router.handle(
            createRecord('router.sum', [i], requestHeaders('router.sum.reply', 'abc')),
            tools,
          );
        }
        expect(allReplies(sent)).to.have.length(50);
        const lines = logs.filter((entry) => entry.message.includes('is not a partition number'));
        expect(lines, 'the first few lines, the others counted for the next').to.have.length(5);
      });

      it('logs a failing handler a few times per interval, while each caller gets its error reply', async () => {
        const { router, sent, logs } = createSetup();
        for (let i = 0; i < 20; i++) {
          await router.handle(
            createRecord('router.fail.unknown', null, requestHeaders('router.fail.reply')),
            tools,
          );
        }
        expect(allReplies(sent)).to.have.length(20);
        expect(logs.filter((entry) => entry.level === 'warn')).to.have.length(5);
      });

      it('sets no partition when kafka_replyPartition is missing', async () => {
        const { router, sent } = createSetup();
        await router.handle(createRecord('router.sum', [1], requestHeaders('router.sum.reply', null)), tools);
        expect(allReplies(sent)[0]).not.to.have.property('partition');
      });

      it('replies with the string of an RpcException as { status, message }', async () => {
        const { router, sent } = createSetup();
        await router.handle(
          createRecord('router.fail.string', null, requestHeaders('router.fail.reply')),
          tools,
        );
        const [reply] = allReplies(sent);
        expect(errorHeader(reply)).to.equal('{"status":"error","message":"no dragons here"}');
        expect(reply.value).to.equal(null);
        expect(reply.headers?.['kafka_nest-is-disposed']).to.deep.equal(DISPOSED);
      });

      it('replies with the object of an RpcException as JSON', async () => {
        const { router, sent } = createSetup();
        await router.handle(
          createRecord('router.fail.object', null, requestHeaders('router.fail.reply')),
          tools,
        );
        expect(errorHeader(allReplies(sent)[0])).to.equal('{"status":"error","code":42}');
      });

      it('logs the error reply an RpcException decided at debug only, with the handler and the reply', async () => {
        const { router, logs } = createSetup();
        await router.handle(
          createRecord('router.fail.string', null, requestHeaders('router.fail.reply')),
          tools,
        );
        await router.handle(
          createRecord('router.fail.object', null, requestHeaders('router.fail.reply')),
          tools,
        );
        expect(logs.filter((entry) => entry.level === 'warn' || entry.level === 'error')).to.deep.equal([]);
        expect(JSON.stringify(logs)).not.to.match(/DecidedErrorPayload|RpcException|Rpc Exception/);
        expect(
          logs.map(({ level, message, fields }) => ({ level, message, reply: fields?.reply })),
        ).to.deep.equal([
          {
            level: 'debug',
            message: 'RouterSpecController.failString answered with an error reply',
            reply: { status: 'error', message: 'no dragons here' },
          },
          {
            level: 'debug',
            message: 'RouterSpecController.failObject answered with an error reply',
            reply: { status: 'error', code: 42 },
          },
        ]);
        expect(logs[0].fields).to.include({ topic: 'router.fail.string', partition: 4, offset: '17' });
      });

      it('replies to any other error with Internal server error, never its message', async () => {
        const { router, sent, logs } = createSetup();
        await router.handle(
          createRecord('router.fail.unknown', null, requestHeaders('router.fail.reply')),
          tools,
        );
        expect(errorHeader(allReplies(sent)[0])).to.equal(
          '{"status":"error","message":"Internal server error"}',
        );
        expect(logs.some((entry) => entry.level === 'warn')).to.equal(true);
      });

      it('replies with an error to a handler that throws undefined', async () => {
        const { router, sent } = createSetup();
        await router.handle(
          createRecord('router.fail.undefined', null, requestHeaders('router.fail.reply')),
          tools,
        );
        expect(allReplies(sent).map(errorHeader)).to.deep.equal([
          '{"status":"error","message":"Internal server error"}',
        ]);
      });

      it('runs the handler again after a KafkaRetriableException and replies with its later result', async () => {
        const { router, controller, sent } = createSetup();
        controller.attemptsBeforeSuccess = 2;
        await router.handle(createRecord('router.flaky', null, requestHeaders('router.flaky.reply')), tools);
        expect(controller.calls.flaky).to.have.length(2);
        expect(allReplies(sent).map((reply) => reply.value)).to.deep.equal(['ok after 2']);
      });

      it('replies with an error once the retry attempts are spent', async () => {
        const { router, controller, sent, logs } = createSetup();
        await router.handle(createRecord('router.flaky', null, requestHeaders('router.flaky.reply')), tools);
        expect(controller.calls.flaky).to.have.length(policy.attempts);
        const replies = allReplies(sent);
        expect(replies).to.have.length(1);
        expect(errorHeader(replies[0])).to.equal('{"status":"error","message":"try again later"}');
        expect(replies[0].headers?.['kafka_nest-is-disposed']).to.deep.equal(DISPOSED);
        expect(logs.filter((entry) => entry.level === 'warn' && /retry/.test(entry.message))).to.have.length(
          policy.attempts - 1,
        );
        expect(logs.some((entry) => entry.level === 'error')).to.equal(true);
      });

      it('cuts off a handler that stays silent past handlerTimeoutMs with an error reply naming it', async () => {
        const { router, sent } = createSetup(undefined, 20);
        await router.handle(createRecord('router.hang', null, requestHeaders('router.hang.reply')), tools);
        const replies = allReplies(sent);
        expect(replies).to.have.length(1);
        expect(JSON.parse(String(errorHeader(replies[0])))).to.deep.equal({
          status: 'error',
          message: 'RouterSpecController.hang produced nothing for 20 ms and was cut off',
        });
        expect(replies[0].headers?.['kafka_nest-is-disposed']).to.deep.equal(DISPOSED);
      });

      context('whose handler is async', () => {
        it('replies with the value its Promise resolves to, once, marked disposed', async () => {
          const { router, sent } = createSetup();
          await router.handle(
            createRecord('router.async.sum', [1, 2, 3], requestHeaders('router.async.sum.reply')),
            tools,
          );
          const replies = allReplies(sent);
          expect(replies.map((reply) => reply.value)).to.deep.equal(['6']);
          expect(replies[0].headers?.['kafka_nest-is-disposed']).to.deep.equal(DISPOSED);
        });

        it('cuts off a Promise that never settles past handlerTimeoutMs with an error reply naming it', async () => {
          const { router, sent } = createSetup(undefined, 20);
          await router.handle(
            createRecord('router.async.hang', null, requestHeaders('router.async.hang.reply')),
            tools,
          );
          const replies = allReplies(sent);
          expect(replies).to.have.length(1);
          expect(JSON.parse(String(errorHeader(replies[0])))).to.deep.equal({
            status: 'error',
            message: 'RouterSpecController.asyncHang produced nothing for 20 ms and was cut off',
          });
        });

        it('runs it again after a rejected KafkaRetriableException and replies with its later result', async () => {
          const { router, controller, sent } = createSetup();
          controller.attemptsBeforeSuccess = 2;
          await router.handle(
            createRecord('router.async.flaky', null, requestHeaders('router.async.flaky.reply')),
            tools,
          );
          expect(controller.calls.asyncFlaky).to.have.length(2);
          expect(allReplies(sent).map((reply) => reply.value)).to.deep.equal(['ok after 2']);
        });
      });

      it('replies with NO_MESSAGE_HANDLER and no is-disposed when the topic has no handler at all', async () => {
        const { router, sent, logs } = createSetup();
        await router.handle(
          createRecord('router.nobody', null, requestHeaders('router.nobody.reply')),
          tools,
        );
        expect(sent.map((entry) => entry.topic)).to.deep.equal(['router.nobody.reply']);
        expect(allReplies(sent)).to.deep.equal([
          {
            value: null,
            partition: 2,
            headers: {
              kafka_correlationId: Buffer.from(CORRELATION_ID),
              'kafka_nest-err': Buffer.from(NO_MESSAGE_HANDLER),
            },
          },
        ]);
        expect(logs.map((entry) => entry.level)).to.deep.equal(['warn']);
      });

      it('runs the event handlers of a topic without a message handler, and sends no reply', async () => {
        const { router, controller, sent } = createSetup();
        await router.handle(
          createRecord('router.killed', { id: 7 }, requestHeaders('router.killed.reply')),
          tools,
        );
        expect(controller.calls.onKilled).to.deep.equal([{ id: 7 }]);
        expect(sent).to.deep.equal([]);
      });

      it('serializes a plain reply once with an asynchronous serializer, and sends what it resolves to', async () => {
        const calls: unknown[] = [];
        const serializer: Serializer = {
          serialize: (value: unknown) => {
            calls.push(value);
            return Promise.resolve({ value: `async:${JSON.stringify(value)}`, headers: {} });
          },
        };
        const { router, sent } = createSetup(undefined, 0, serializer);
        const handled = await router.handle(
          createRecord('router.sum', [2, 3], requestHeaders('router.sum.reply')),
          tools,
        );
        await handled?.acked;
        expect(calls).to.deep.equal([5]);
        expect(allReplies(sent).map((reply) => String(reply.value))).to.deep.equal(['async:5']);
      });

      it('answers a rejecting asynchronous serializer with the error reply a throwing one gets', async () => {
        const replyOf = async (serializer: Serializer) => {
          const { router, sent, logs } = createSetup(undefined, 0, serializer);
          const record = createRecord('router.sum', [2, 3], requestHeaders('router.sum.reply'));
          await (
            await router.handle(record, tools)
          )?.acked;
          expect(logs.map((entry) => entry.level)).to.include('error');
          const [reply] = allReplies(sent);
          return { value: reply.value, error: errorHeader(reply) };
        };
        const rejecting = await replyOf({ serialize: () => Promise.reject(new Error('cannot encode')) });
        const throwing = await replyOf({
          serialize: () => {
            throw new Error('cannot encode');
          },
        });
        expect(rejecting.value).to.equal(null);
        expect(rejecting.error).to.contain('Internal server error');
        expect(rejecting).to.deep.equal(throwing);
      });

      it('rejects when the reply cannot be produced, so the record is redelivered', async () => {
        const error = new Error('RXK_SEND_FAILED');
        const { router } = createSetup(() => Promise.reject(error));
        let thrown: unknown;
        // The handler is done at once; the rejection comes with the acknowledgement of its replies.
        await Promise.resolve(
          router.handle(createRecord('router.sum', [1], requestHeaders('router.sum.reply')), tools),
        )
          .then((handled) => handled?.acked)
          .catch((caught: unknown) => (thrown = caught));
        expect(thrown).to.equal(error);
        expect(router.repliesSent).to.equal(0);
      });

      it('gives a reply up when the authorizer refuses its reply topic, logging RXK_NOT_AUTHORIZED', async () => {
        const refusal = new NotAuthorizedError('refused', {
          resourceType: 'topic',
          resourceName: 'router.sum.reply',
          principal: 'User:svc',
          topic: 'router.sum.reply',
        });
        const { router, logs } = createSetup(() => Promise.reject(refusal));
        const handled = await router.handle(
          createRecord('router.sum', [1], requestHeaders('router.sum.reply')),
          tools,
        );
        await handled?.acked;
        const logged = logs.find((entry) => entry.level === 'error');
        expect(logged?.message).to.contain('a reply to router.sum.reply was refused');
        expect(logged?.fields?.error).to.equal(refusal);
      });

      it('rejects, so the record is redelivered, when the refused topic was another reply’s', async () => {
        const refusal = new NotAuthorizedError('refused', {
          resourceType: 'topic',
          resourceName: 'other.reply',
          principal: 'User:svc',
          topic: 'other.reply',
        });
        const { router } = createSetup(() => Promise.reject(refusal));
        const handled = await router.handle(
          createRecord('router.sum', [1], requestHeaders('router.sum.reply')),
          tools,
        );
        expect(await handled?.acked.catch((caught: unknown) => caught)).to.equal(refusal);
      });

      it('rejects when any reply of a stream cannot be produced', async () => {
        const error = new Error('RXK_SEND_FAILED');
        let calls = 0;
        const { router, controller } = createSetup(async () => {
          calls += 1;
          if (calls === 2) throw error;
        });
        controller.stream$ = of(1, 2, 3);
        let thrown: unknown;
        await Promise.resolve(
          router.handle(createRecord('router.stream', null, requestHeaders('router.stream.reply')), tools),
        )
          .then((handled) => handled?.acked)
          .catch((caught: unknown) => (thrown = caught));
        expect(thrown).to.equal(error);
        expect(calls).to.equal(3);
      });
    });

    context('with an event (no request headers)', () => {
      it('applies the handler’s own retry policy and writes the dead letter it asks for', async () => {
        const { router, controller, sent } = createSetup();
        await router.handle(createRecord('router.poison', { id: 9 }), tools);
        expect(controller.calls.poison).to.have.length(2);
        expect(sent.map((entry) => entry.topic)).to.deep.equal(['router.poison.dlt']);
        const [letter] = sent[0].messages;
        expect(String(letter.value)).to.equal('{"id":9}');
        expect(letter.headers).to.include({
          'kafka_dlt-original-topic': 'router.poison',
          'kafka_dlt-original-offset': '17',
          'rxkafka_dlt-attempts': '2',
          'rxkafka_dlt-handler': 'RouterSpecController.poison',
          'kafka_dlt-exception-message': 'still broken',
        });
      });

      it('rejects when the dead letter cannot be written, so the record is not committed', async () => {
        const { router } = createSetup(async (topic) => {
          if (topic.endsWith('.dlt')) throw new Error('UNKNOWN_TOPIC_OR_PARTITION');
        });
        let failure: unknown;
        await Promise.resolve(router.handle(createRecord('router.poison', { id: 9 }), tools)).catch(
          (error: unknown) => (failure = error),
        );
        expect(failure).to.be.instanceOf(Error);
      });

      it('handles a synchronous event handler synchronously: no promise for the batch runner to await', () => {
        const { router, controller } = createSetup();
        const handled = router.handle(createRecord('router.killed', { id: 8 }), tools);
        expect(handled).to.equal(undefined);
        expect(controller.calls.onKilled).to.deep.equal([{ id: 8 }]);
      });

      it('runs a synchronously throwing retriable event handler exactly retry.attempts times', async () => {
        const { router, controller, sent } = createSetup();
        const handled = router.handle(createRecord('router.poison', { id: 9 }), tools);
        expect(handled, 'a failure takes the asynchronous path').to.be.instanceOf(Promise);
        await handled;
        expect(controller.calls.poison).to.have.length(2);
        expect(sent.map((entry) => entry.topic)).to.deep.equal(['router.poison.dlt']);
      });

      it('runs the event handler with the decoded payload', async () => {
        const { router, controller, sent } = createSetup();
        await router.handle(createRecord('router.killed', { id: 7 }), tools);
        expect(controller.calls.onKilled).to.deep.equal([{ id: 7 }]);
        expect(sent).to.deep.equal([]);
      });

      it('runs a @MessagePattern handler as an event and drops its result', async () => {
        const { router, controller, sent } = createSetup();
        await router.handle(createRecord('router.sum', [2, 3]), tools);
        expect(controller.calls.sum).to.deep.equal([[2, 3]]);
        expect(sent).to.deep.equal([]);
      });

      it('treats a record with a correlation id but no reply topic as an event', async () => {
        const { router, controller, sent } = createSetup();
        const headers = { kafka_correlationId: Buffer.from(CORRELATION_ID) };
        await router.handle(createRecord('router.sum', [4], headers), tools);
        expect(controller.calls.sum).to.deep.equal([[4]]);
        expect(sent).to.deep.equal([]);
      });

      it('logs a failing event handler and resolves, so the partition moves on', async () => {
        const { router, controller, logs } = createSetup();
        await router.handle(createRecord('router.broken', null), tools);
        expect(controller.calls.broken).to.have.length(1);
        const errors = logs.filter((entry) => entry.level === 'error');
        expect(errors).to.have.length(1);
        expect(errors[0].message).to.contain('RouterSpecController.broken');
        expect((errors[0].fields?.error as Error).message).to.equal('event handler failed');
      });

      it('waits for an async event handler before the record counts as handled', async () => {
        const { router, controller } = createSetup(undefined, 1_000);
        await router.handle(createRecord('router.async', { id: 3 }), tools);
        expect(controller.calls.onAsync).to.deep.equal([{ id: 3 }]);
      });

      it('cuts off an async event handler that never settles with RXK_HANDLER_TIMEOUT, and moves on', async () => {
        const { router, controller, logs } = createSetup(undefined, 20);
        await router.handle(createRecord('router.stuck', null), tools);
        expect(controller.calls.stuck).to.have.length(1);
        const [error] = logs.filter((entry) => entry.level === 'error');
        expect(error.message).to.contain('RouterSpecController.stuck');
        expect(error.fields?.error).to.include({ code: 'RXK_HANDLER_TIMEOUT' });
      });

      it('logs and skips a record no handler matches', async () => {
        const { router, sent, logs } = createSetup();
        await router.handle(createRecord('router.nobody', null), tools);
        expect(sent).to.deep.equal([]);
        expect(logs.map((entry) => entry.level)).to.deep.equal(['warn']);
      });
    });
  });
});
