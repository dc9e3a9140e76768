/**
 * Property-based: random records (topics, header sets, values, keys) through MessageRouter.handle(), with
 * handlers that answer, stream, fail, throw random values and ask for retries, a produce queue that refuses
 * one reply topic for good, and a deserializer that sometimes fails. Properties: handle() never throws, it
 * always settles (no record stalls its partition), and every record gets exactly the outcome NestJS's rules
 * and rxkafka's failure policy decide: replies, an error reply, an event run, a dead letter, or a logged skip.
 * See spec/support/fuzz.ts for the seed.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Container } from 'inversify';
import type { Consumer, Producer } from 'kafkajs';
import { of } from 'rxjs';
import type { ProduceQueue } from '../../lib/connection/produce-queue';
import { RxKafkaError } from '../../lib/errors';
import { Controller, registerControllers } from '../../lib/handlers/controller';
import { EventPattern } from '../../lib/handlers/event-pattern';
import { HandlerRegistry } from '../../lib/handlers/handler-registry';
import { MessagePattern } from '../../lib/handlers/message-pattern';
import { Payload } from '../../lib/handlers/param-decorators';
import { KafkaRetriableException, RpcException } from '../../lib/handlers/rpc-exception';
import type { OutgoingRecord, RecordHeaders } from '../../lib/kafka/kafka-record';
import type { HandledRecord } from '../../lib/pipeline/batch-runner-options';
import { DeadLetterHeaders } from '../../lib/pipeline/dead-letter';
import { MessageRouter, type RecordTools } from '../../lib/pipeline/message-router';
import { KafkaRequestDeserializer, type Deserializer, type RequestPacket } from '../../lib/wire/deserializer';
import { KafkaHeaders, NO_MESSAGE_HANDLER } from '../../lib/wire/kafka-headers';
import { KafkaParser, type IncomingMessage, type RawKafkaRecord } from '../../lib/wire/parser';
import { KafkaRequestSerializer } from '../../lib/wire/serializer';
import { fuzzParameters } from '../support/fuzz';
import { RecordingLogger } from '../support/recording-logger';
import { applicationValue, headerSet, rawRecord, requestHeaders } from '../support/wire-arbitraries';

/** The reply topic whose writes Kafka refuses for good (the produce queue's RXK_SEND_FAILED, not retriable). */
const REFUSED_REPLY_TOPIC = 'fz.refused.reply';

/**
 * How each handler topic answers a request (the number of replies, whether the last is an error), and
 * whether its handler fails when it runs as an event (its reply value, even one that cannot be serialized,
 * is then dropped).
 */
const REQUEST_TOPICS: Readonly<Record<string, { replies: number; error: boolean; failsAsEvent: boolean }>> = {
  'fz.echo': { replies: 1, error: false, failsAsEvent: false },
  'fz.async': { replies: 1, error: false, failsAsEvent: false },
  'fz.stream': { replies: 2, error: false, failsAsEvent: false },
  'fz.empty': { replies: 1, error: false, failsAsEvent: false },
  'fz.throw': { replies: 1, error: true, failsAsEvent: true },
  'fz.reject': { replies: 1, error: true, failsAsEvent: true },
  'fz.throw.any': { replies: 1, error: true, failsAsEvent: true },
  'fz.retry': { replies: 1, error: true, failsAsEvent: true },
  'fz.unserializable': { replies: 1, error: true, failsAsEvent: false },
};

/** Event topics, and whether their handler fails for good (then the record is dead-lettered). */
const EVENT_TOPICS: Readonly<Record<string, { fails: boolean }>> = {
  'fz.event': { fails: false },
  'fz.event.async': { fails: false },
  'fz.event.throw.any': { fails: true },
  'fz.event.retry': { fails: true },
};

const KNOWN_TOPICS = [...Object.keys(REQUEST_TOPICS), ...Object.keys(EVENT_TOPICS)];

@Controller()
class FuzzController {
  /** What the `.any` handlers throw in the current case: any value at all. */
  thrown: unknown = undefined;
  /** Topics whose handlers ran in the current case. */
  readonly ran: string[] = [];

  @MessagePattern('fz.echo')
  echo(@Payload() data: unknown): unknown {
    this.ran.push('fz.echo');
    return data;
  }

  @MessagePattern('fz.async')
  async asyncEcho(@Payload() data: unknown): Promise<unknown> {
    this.ran.push('fz.async');
    await Promise.resolve();
    return data;
  }

  @MessagePattern('fz.stream')
  stream(@Payload() data: unknown) {
    this.ran.push('fz.stream');
    return of(data, 'end');
  }

  @MessagePattern('fz.empty')
  empty() {
    this.ran.push('fz.empty');
    return of();
  }

  @MessagePattern('fz.throw')
  throwing(): never {
    this.ran.push('fz.throw');
    throw new Error('secret internals');
  }

  @MessagePattern('fz.reject')
  async rejecting(): Promise<never> {
    this.ran.push('fz.reject');
    throw new RpcException({ code: 42 });
  }

  @MessagePattern('fz.throw.any')
  throwingAnything(): never {
    this.ran.push('fz.throw.any');
    throw this.thrown;
  }

  @MessagePattern('fz.retry', { retry: { attempts: 2, backoffMs: 0 } })
  retrying(): never {
    this.ran.push('fz.retry');
    throw new KafkaRetriableException('later');
  }

  @MessagePattern('fz.unserializable')
  unserializable(): unknown {
    this.ran.push('fz.unserializable');
    return { big: 1n };
  }

  @EventPattern('fz.event')
  onEvent(): void {
    this.ran.push('fz.event');
  }

  @EventPattern('fz.event.async')
  async onAsyncEvent(): Promise<void> {
    this.ran.push('fz.event.async');
    await Promise.resolve();
  }

  @EventPattern('fz.event.throw.any', { deadLetter: true })
  onEventThrowingAnything(): never {
    this.ran.push('fz.event.throw.any');
    throw this.thrown;
  }

  @EventPattern('fz.event.retry', { deadLetter: true, retry: { attempts: 2, backoffMs: 0 } })
  onEventRetrying(): never {
    this.ran.push('fz.event.retry');
    throw new KafkaRetriableException('later');
  }
}

/** Fails to deserialize (synchronously, or as a rejected Promise) the records whose offset says so. */
class FlakyDeserializer implements Deserializer<RequestPacket> {
  readonly #inner = new KafkaRequestDeserializer();

  deserialize(
    message: IncomingMessage,
    options?: { channel?: string },
  ): RequestPacket | Promise<RequestPacket> {
    const offset = BigInt(message.offset);
    if (offset % 7n === 1n) throw new Error('undecodable');
    if (offset % 7n === 2n) return Promise.reject(Object.create(null) as object);
    if (offset % 7n === 3n) return Promise.resolve(this.#inner.deserialize(message, options));
    return this.#inner.deserialize(message, options);
  }
}

interface Setup {
  readonly router: MessageRouter;
  readonly controller: FuzzController;
  readonly sent: Array<{ topic: string; record: OutgoingRecord }>;
  readonly logger: RecordingLogger;
}

function createSetup(deserializer: Deserializer<RequestPacket>): Setup {
  const container = new Container();
  registerControllers(container, [FuzzController]);
  const registry = HandlerRegistry.fromContainer(container, [FuzzController]);
  const sent: Setup['sent'] = [];
  const produceQueue = {
    send: async (topic: string, records: OutgoingRecord[]) => {
      await Promise.resolve();
      if (topic === REFUSED_REPLY_TOPIC) {
        throw new RxKafkaError('RXK_SEND_FAILED', `Kafka refused a record for ${topic}`, { topic });
      }
      for (const record of records) sent.push({ topic, record });
    },
    // No topic is refused as a whole here: each refused reply fails on its own send.
    refuses: () => false,
  } as unknown as ProduceQueue;
  const logger = new RecordingLogger();
  const router = new MessageRouter({
    // Every record's outcome is read from its own log line: none is throttled here.
    recordLogIntervalMs: 0,
    registry,
    parser: new KafkaParser(),
    deserializer,
    serializer: new KafkaRequestSerializer(),
    produceQueue,
    retry: { attempts: 1, backoffMs: 0, maxBackoffMs: 0 },
    deadLetter: (topic) => `${topic}.server-dlt`,
    handlerTimeoutMs: 0,
    logger,
  });
  return { router, controller: container.get(FuzzController), sent, logger };
}

const tools: RecordTools = {
  consumer: {} as Consumer,
  producer: {} as Producer,
  heartbeat: async () => undefined,
};

const SETTLE_WITHIN_MS = 2_000;

/**
 * Runs handle() to the end: its handlers, then the acknowledgement of what it produced. Rejects if handle()
 * throws or rejects, and if it has not settled within SETTLE_WITHIN_MS (a stalled partition).
 */
async function handleToTheEnd(router: MessageRouter, record: RawKafkaRecord): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`handle() did not settle within ${SETTLE_WITHIN_MS} ms`)),
      SETTLE_WITHIN_MS,
    );
  });
  try {
    const handled = (await Promise.race([router.handle(record, tools), stalled])) as HandledRecord | void;
    if (handled) await Promise.race([handled.acked, stalled]);
  } finally {
    clearTimeout(timer);
  }
}

function headerText(value: RecordHeaders[string] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : Buffer.isBuffer(first) ? first.toString('utf8') : first;
}

/** The request route NestJS's rule gives (both headers present and non-empty), read from the raw bytes. */
function expectedRoute(record: RawKafkaRecord): { id: string; replyTopic: string } | undefined {
  const id = headerText(record.headers?.[KafkaHeaders.CORRELATION_ID]);
  const replyTopic = headerText(record.headers?.[KafkaHeaders.REPLY_TOPIC]);
  return id && replyTopic ? { id, replyTopic } : undefined;
}

/** Records to route: request headers on a handler topic, random headers on any topic, random values. */
const routedRecord = rawRecord({
  topics: KNOWN_TOPICS,
  headers: fc.oneof(
    { weight: 3, arbitrary: requestHeaders },
    {
      weight: 1,
      arbitrary: requestHeaders.map((headers) => ({
        ...headers,
        [KafkaHeaders.REPLY_TOPIC]: REFUSED_REPLY_TOPIC,
      })),
    },
    { weight: 1, arbitrary: fc.option(headerSet(true), { nil: undefined }) },
  ),
});

/** What the `.any` handlers throw: Errors, RpcExceptions, and anything at all (null prototypes included). */
const thrownValue = fc.oneof(
  applicationValue,
  fc.constant(Object.create(null) as object),
  fc.string().map((message) => new Error(message)),
  fc.jsonValue().map((payload) => new RpcException(payload as string | object)),
);

describe('MessageRouter (fuzz)', () => {
  it('settles every record with the outcome its topic, headers and handler decide', async () => {
    const { router, controller, sent, logger } = createSetup(new KafkaRequestDeserializer());
    await fc.assert(
      fc.asyncProperty(routedRecord, thrownValue, async (record, thrown) => {
        sent.length = 0;
        logger.entries.length = 0;
        controller.ran.length = 0;
        controller.thrown = thrown;
        await handleToTheEnd(router, record);
        expectOutcome(record, { controller, sent, logger });
      }),
      fuzzParameters(1_200),
    );
  });

  it('dead-letters every record its deserializer fails on, and routes the others', async () => {
    const { router, controller, sent, logger } = createSetup(new FlakyDeserializer());
    await fc.assert(
      fc.asyncProperty(routedRecord, async (record) => {
        sent.length = 0;
        logger.entries.length = 0;
        controller.ran.length = 0;
        await handleToTheEnd(router, record);
        const failing = [1n, 2n].includes(BigInt(record.offset) % 7n);
        if (!failing) {
          expectOutcome(record, { controller, sent, logger });
          return;
        }
        expect(controller.ran).to.deep.equal([]);
        expect(sent.map(({ topic }) => topic)).to.deep.equal([`${record.topic}.server-dlt`]);
        expect(sent[0].record.value).to.deep.equal(record.value);
        expect(logger.find('error', 'the deserializer failed')).to.have.length(1);
      }),
      fuzzParameters(600),
    );
  });
});

/** Asserts what the router did for `record` against what NestJS's rules and the failure policy decide. */
function expectOutcome(record: RawKafkaRecord, { controller, sent, logger }: Omit<Setup, 'router'>): void {
  const route = expectedRoute(record);
  // hasOwn: a topic may well be called `constructor` or `__proto__`.
  const request = Object.hasOwn(REQUEST_TOPICS, record.topic) ? REQUEST_TOPICS[record.topic] : undefined;
  const event = Object.hasOwn(EVENT_TOPICS, record.topic) ? EVENT_TOPICS[record.topic] : undefined;
  const replies = sent.filter(({ topic }) => topic === route?.replyTopic);
  const deadLetters = sent.filter(({ topic }) => topic.endsWith('.dlt'));
  // Every reply echoes the request's correlation id byte for byte.
  for (const { record: reply } of replies) {
    expect(reply.headers?.[KafkaHeaders.CORRELATION_ID]).to.deep.equal(Buffer.from(route!.id));
  }

  if (route && request) {
    // A request: its handler's replies, the last one marked final; none written to a refused reply topic,
    // which is logged and skipped instead.
    expect(controller.ran[0]).to.equal(record.topic);
    if (route.replyTopic === REFUSED_REPLY_TOPIC) {
      expect(sent).to.deep.equal([]);
      expect(logger.find('error', `a reply to ${REFUSED_REPLY_TOPIC} was refused by Kafka`)).to.have.length(
        1,
      );
      return;
    }
    expect(sent.map(({ topic }) => topic)).to.deep.equal(Array(request.replies).fill(route.replyTopic));
    const last = replies[replies.length - 1].record;
    expect(last.headers?.[KafkaHeaders.NEST_IS_DISPOSED], 'is-disposed on the last reply').to.not.equal(
      undefined,
    );
    expect(last.headers?.[KafkaHeaders.NEST_ERR] !== undefined, 'an error reply').to.equal(request.error);
    return;
  }
  if (event) {
    // An event, with or without request headers (NestJS never replies to an @EventPattern handler).
    expect(controller.ran[0]).to.equal(record.topic);
    expect(replies).to.deep.equal([]);
    if (!event.fails) {
      expect(sent).to.deep.equal([]);
      return;
    }
    expect(deadLetters.map(({ topic }) => topic)).to.deep.equal([`${record.topic}.dlt`]);
    const deadLetter = deadLetters[0].record;
    expect(deadLetter.value).to.deep.equal(record.value);
    expect(deadLetter.headers?.[DeadLetterHeaders.ORIGINAL_OFFSET]).to.equal(record.offset);
    return;
  }
  if (route) {
    // A request no handler takes: NestJS's plain-text error, without is-disposed.
    expect(controller.ran).to.deep.equal([]);
    if (route.replyTopic === REFUSED_REPLY_TOPIC) {
      expect(sent).to.deep.equal([]);
      return;
    }
    expect(replies.map(({ record: reply }) => String(reply.headers?.[KafkaHeaders.NEST_ERR]))).to.deep.equal([
      NO_MESSAGE_HANDLER,
    ]);
    expect(replies[0].record.headers).to.not.have.property(KafkaHeaders.NEST_IS_DISPOSED);
    return;
  }
  if (request) {
    // A @MessagePattern record without request headers runs as an event: no reply; a failure is logged and
    // dead-lettered to the server's dead-letter topic.
    expect(controller.ran[0]).to.equal(record.topic);
    if (!request.failsAsEvent) {
      expect(sent).to.deep.equal([]);
      return;
    }
    expect(logger.find('error', 'the event is skipped')).to.have.length(1);
    expect(sent.map(({ topic }) => topic)).to.deep.equal([`${record.topic}.server-dlt`]);
    return;
  }
  // No handler at all: logged and skipped.
  expect(controller.ran).to.deep.equal([]);
  expect(sent).to.deep.equal([]);
  expect(logger.find('warn', `no handler for ${record.topic}: record skipped`)).to.have.length(1);
}
