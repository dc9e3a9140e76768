import { expect } from 'chai';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Container } from 'inversify';
import { firstValueFrom, interval, lastValueFrom, map, Observable, take, toArray } from 'rxjs';
import {
  Controller,
  EventPattern,
  KafkaClient,
  KafkaServer,
  MessagePattern,
  Payload,
  RemoteError,
  RpcException,
  silentLogger,
} from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { specDriver } from '../support/spec-driver';
import {
  parentSpanIdOf,
  registerInMemoryTracing,
  renderSpanTree,
  type InMemoryTracing,
} from '../support/in-memory-tracing';
import type { KafkaMessage } from 'kafkajs';
import { createTopics, testKafka, uniqueName } from '../support/kafka-fixtures';

/** What the handlers saw of the active span: the process span, if they run inside it. */
const activeInHandler: Record<string, string | undefined> = {};

function createTracedControllers(prefix: string) {
  @Controller()
  class TracedController {
    @MessagePattern(`${prefix}.sum`)
    sum(@Payload() numbers: number[]): number {
      activeInHandler.sum = trace.getActiveSpan()?.spanContext().spanId;
      // A span of the handler's own, as application code makes: it must land under the process span.
      trace.getTracer('app').startActiveSpan('add numbers', (span) => span.end());
      return numbers.reduce((a, b) => a + b, 0);
    }

    @MessagePattern(`${prefix}.stream`)
    stream(@Payload() count: number): Observable<string> {
      return interval(5).pipe(
        take(Number(count)),
        map((i) => `item-${i}`),
      );
    }

    @MessagePattern(`${prefix}.fail`)
    fail(): never {
      throw new RpcException('bad input');
    }

    @EventPattern(`${prefix}.event`)
    onEvent(): void {
      activeInHandler.event = trace.getActiveSpan()?.spanContext().spanId;
    }

    @EventPattern(`${prefix}.poison`, { deadLetter: true })
    onPoison(): never {
      throw new Error('cannot digest');
    }
  }
  return TracedController;
}

async function eventually<T>(find: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The spans of one trace, once there are `count` of them. */
function spansOfTrace(sdk: InMemoryTracing, traceId: string, count: number): Promise<ReadableSpan[]> {
  return eventually(() => {
    const spans = sdk.spans().filter((span) => span.spanContext().traceId === traceId);
    return spans.length >= count ? spans : undefined;
  }, `${count} spans of trace ${traceId}`);
}

function named(spans: readonly ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((span) => span.name === name);
}

function only(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = named(spans, name);
  expect(found, `spans named ${name}`).to.have.length(1);
  return found[0];
}

const idOf = (span: ReadableSpan): string => span.spanContext().spanId;

/** The first `count` records of `topic`, read from its beginning by a plain kafkajs consumer. */
async function readRecords(topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = (await testKafka()).consumer({ groupId: uniqueName('reader') });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<KafkaMessage[]>((resolve) => {
      const seen: KafkaMessage[] = [];
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message);
          if (seen.length === count) resolve(seen);
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

describe('Tracing with OpenTelemetry (integration)', () => {
  const prefix = uniqueName('traced');
  let sdk: InMemoryTracing;
  let server: KafkaServer;
  let client: KafkaClient;
  let brokers: string[];

  before(async () => {
    brokers = [...(await useTestBroker()).brokers];
    await createTopics([
      ...['sum', 'stream', 'fail'].flatMap((pattern) => [
        { topic: `${prefix}.${pattern}`, numPartitions: 2 },
        { topic: `${prefix}.${pattern}.reply` },
      ]),
      { topic: `${prefix}.event` },
      { topic: `${prefix}.poison` },
      { topic: `${prefix}.poison.dlt` },
    ]);
    // The SDK first: clients and servers check for it once, when they are made.
    sdk = registerInMemoryTracing();
    const container = new Container();
    const TracedController = createTracedControllers(prefix);
    container.bind(TracedController).toSelf().inSingletonScope();
    server = new KafkaServer(container, {
      ...specDriver(),
      client: { brokers, clientId: `${prefix}-svc` },
      consumer: { groupId: prefix },
      logger: silentLogger,
      subscribe: { fromBeginning: true },
    });
    await server.listen();
    client = new KafkaClient({
      ...specDriver(),
      client: { brokers, clientId: `${prefix}-caller` },
      consumer: { groupId: prefix },
      logger: silentLogger,
      requestTimeoutMs: 15_000,
    });
    for (const pattern of ['sum', 'stream', 'fail']) client.subscribeToResponseOf(`${prefix}.${pattern}`);
    await client.connect();
  });

  after(async () => {
    await client?.close();
    await server?.close();
    await sdk?.unregister();
  });

  /** The request span of the last send to `pattern`, once it ended. */
  function requestSpan(pattern: string): Promise<ReadableSpan> {
    return eventually(() => named(sdk.spans(), `send ${pattern}`).at(-1), `the request span of ${pattern}`);
  }

  it('makes one trace of a request and its reply: send → process → handler → send reply → process reply', async () => {
    const topic = `${prefix}.sum`;
    expect(await firstValueFrom(client.send(topic, [1, 2, 3]))).to.equal('6');
    const request = await requestSpan(topic);
    const spans = await spansOfTrace(sdk, request.spanContext().traceId, 5);

    const process = only(spans, `process ${topic}`);
    const handlerSpan = only(spans, 'add numbers');
    const reply = only(spans, `send ${topic}.reply`);
    const replyProcess = only(spans, `process ${topic}.reply`);
    expect(spans).to.have.length(5);

    expect(request.kind).to.equal(SpanKind.PRODUCER);
    expect(parentSpanIdOf(request)).to.equal(undefined);
    const correlationId = request.attributes['messaging.message.conversation_id'];
    expect(correlationId).to.be.a('string');
    expect(request.attributes).to.include({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': topic,
      'messaging.client.id': `${prefix}-caller-client`,
    });

    expect(process.kind).to.equal(SpanKind.CONSUMER);
    expect(parentSpanIdOf(process)).to.equal(idOf(request));
    expect(process.attributes).to.include({
      'messaging.system': 'kafka',
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.destination.name': topic,
      'messaging.consumer.group.name': `${prefix}-server`,
      'messaging.client.id': `${prefix}-svc-server`,
      'messaging.message.conversation_id': correlationId,
    });
    expect(process.attributes['messaging.destination.partition.id']).to.be.oneOf(['0', '1']);
    expect(process.attributes['messaging.kafka.offset']).to.be.a('number');
    expect(activeInHandler.sum).to.equal(idOf(process));

    expect(parentSpanIdOf(handlerSpan)).to.equal(idOf(process));
    expect(reply.kind).to.equal(SpanKind.PRODUCER);
    expect(parentSpanIdOf(reply)).to.equal(idOf(process));
    expect(reply.attributes).to.include({
      'messaging.destination.name': `${topic}.reply`,
      'messaging.message.conversation_id': correlationId,
    });

    expect(replyProcess.kind).to.equal(SpanKind.CONSUMER);
    expect(parentSpanIdOf(replyProcess)).to.equal(idOf(reply));
    expect(replyProcess.attributes).to.include({
      'messaging.destination.name': `${topic}.reply`,
      'messaging.consumer.group.name': `${prefix}-client`,
      'messaging.message.conversation_id': correlationId,
    });
    for (const span of spans) expect(span.status.code).to.equal(SpanStatusCode.UNSET);

    const tree = renderSpanTree(spans).replaceAll(prefix, 'heroes');
    // The README's "Tracing" section shows this tree: PRINT_TRACE_TREE=1 prints it as this run made it.
    if (globalThis.process.env.PRINT_TRACE_TREE) globalThis.process.stdout.write(`${tree}\n`);
    expect(tree).to.equal(
      [
        'send heroes.sum (PRODUCER)',
        '  process heroes.sum (CONSUMER)',
        '    add numbers (INTERNAL)',
        '    send heroes.sum.reply (PRODUCER)',
        '      process heroes.sum.reply (CONSUMER)',
      ].join('\n'),
    );
  });

  it('gives each record of a streamed reply its own send and process span, under the one request', async () => {
    const topic = `${prefix}.stream`;
    expect(await lastValueFrom(client.send(topic, 3).pipe(toArray()))).to.deep.equal([
      'item-0',
      'item-1',
      'item-2',
    ]);
    const request = await requestSpan(topic);
    const spans = await spansOfTrace(sdk, request.spanContext().traceId, 8);
    const process = only(spans, `process ${topic}`);
    const replies = named(spans, `send ${topic}.reply`);
    const replyProcesses = named(spans, `process ${topic}.reply`);
    expect(spans).to.have.length(8);
    expect(replies).to.have.length(3);
    expect(replyProcesses).to.have.length(3);
    expect(parentSpanIdOf(process)).to.equal(idOf(request));
    for (const reply of replies) expect(parentSpanIdOf(reply)).to.equal(idOf(process));
    expect(replyProcesses.map(parentSpanIdOf).sort()).to.deep.equal(replies.map(idOf).sort());
  });

  it('marks an error reply failed on the server’s process span and the caller’s request span', async () => {
    const topic = `${prefix}.fail`;
    const error = await firstValueFrom(client.send(topic, {})).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RemoteError);
    const request = await requestSpan(topic);
    const spans = await spansOfTrace(sdk, request.spanContext().traceId, 4);
    const process = only(spans, `process ${topic}`);
    const reply = only(spans, `send ${topic}.reply`);
    const replyProcess = only(spans, `process ${topic}.reply`);
    expect(request.attributes['error.type']).to.equal('RXK_REMOTE_ERROR');
    expect(request.status.code).to.equal(SpanStatusCode.ERROR);
    expect(process.attributes['error.type']).to.equal('RpcException');
    expect(process.status.code).to.equal(SpanStatusCode.ERROR);
    // Sending the error reply and reading it went well.
    expect(reply.status.code).to.equal(SpanStatusCode.UNSET);
    expect(parentSpanIdOf(replyProcess)).to.equal(idOf(reply));
  });

  it('continues the emitter’s trace in the event’s process span, the handler inside it', async () => {
    const topic = `${prefix}.event`;
    await trace.getTracer('app').startActiveSpan('checkout', async (span) => {
      await lastValueFrom(client.emit(topic, { n: 1 }), { defaultValue: undefined });
      span.end();
    });
    const checkout = named(sdk.spans(), 'checkout').at(-1) as ReadableSpan;
    const spans = await spansOfTrace(sdk, checkout.spanContext().traceId, 3);
    const send = only(spans, `send ${topic}`);
    const process = only(spans, `process ${topic}`);
    expect(parentSpanIdOf(send)).to.equal(idOf(checkout));
    expect(parentSpanIdOf(process)).to.equal(idOf(send));
    expect(activeInHandler.event).to.equal(idOf(process));
  });

  it('sends a dead letter under the failed process span, replacing the original’s trace context', async () => {
    const topic = `${prefix}.poison`;
    await lastValueFrom(client.emit(topic, { bad: true }), { defaultValue: undefined });
    const emitted = named(sdk.spans(), `send ${topic}`).at(-1) as ReadableSpan;
    const spans = await spansOfTrace(sdk, emitted.spanContext().traceId, 3);
    const process = only(spans, `process ${topic}`);
    const deadLetter = only(spans, `send ${topic}.dlt`);
    expect(process.attributes['error.type']).to.equal('Error');
    expect(parentSpanIdOf(deadLetter)).to.equal(idOf(process));
    const [letter] = await readRecords(`${topic}.dlt`, 1);
    const { traceId, spanId } = deadLetter.spanContext();
    expect(String(letter.headers?.traceparent)).to.equal(`00-${traceId}-${spanId}-01`);
  });
});
