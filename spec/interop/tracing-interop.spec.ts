import {
  Controller as NestController,
  Injectable,
  Module,
  type CallHandler,
  type ExecutionContext,
  type INestMicroservice,
  type NestInterceptor,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern as NestMessagePattern, Payload as NestPayload } from '@nestjs/microservices';
import type { ClientKafka } from '@nestjs/microservices';
import { SpanKind, trace } from '@opentelemetry/api';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { Container } from 'inversify';
import { finalize, firstValueFrom, type Observable } from 'rxjs';
import {
  Controller,
  KafkaClient,
  KafkaServer,
  MessagePattern,
  Payload,
  registerControllers,
  silentLogger,
} from '../../lib';
import { RxKafkaStrategy } from '../../lib/nestjs';
import { useTestBroker } from '../support/global-broker';
import {
  parentSpanIdOf,
  registerInMemoryTracing,
  renderSpanTree,
  type InMemoryTracing,
} from '../support/in-memory-tracing';
import { createTopics, uniqueName } from '../support/kafka-fixtures';
import { connectNestClient } from './support/nest-client';
import { startNestMicroservice } from './support/nest-microservice';

const KAFKAJS_SCOPE = '@opentelemetry/instrumentation-kafkajs';
const RXKAFKA_SCOPE = 'rxkafka';

const idOf = (span: ReadableSpan): string => span.spanContext().spanId;
const scopeOf = (span: ReadableSpan): string => span.instrumentationScope.name;

async function eventually<T>(find: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The one span named `name` in `spans`, made by the instrumentation `scope`. */
function only(spans: readonly ReadableSpan[], name: string, scope: string): ReadableSpan {
  const found = spans.filter((span) => span.name === name);
  expect(found, `spans named ${name}`).to.have.length(1);
  expect(scopeOf(found[0]), `the scope of ${name}`).to.equal(scope);
  return found[0];
}

/** What the handlers and the interceptor saw of the active span. */
const activeIn: Record<string, string | undefined> = {};

function createRxKafkaSumController(topic: string) {
  @Controller()
  class RxKafkaSumController {
    @MessagePattern(topic)
    sum(@Payload() numbers: number[]): number {
      activeIn.rxkafkaHandler = trace.getActiveSpan()?.spanContext().spanId;
      trace.getTracer('app').startActiveSpan('add numbers', (span) => span.end());
      return numbers.reduce((a, b) => a + b, 0);
    }
  }
  return RxKafkaSumController;
}

function createNestSumController(topic: string, key: string) {
  @NestController()
  class NestSumController {
    @NestMessagePattern(topic)
    sum(@NestPayload() numbers: number[]): number {
      activeIn[key] = trace.getActiveSpan()?.spanContext().spanId;
      trace.getTracer('app').startActiveSpan('add numbers', (span) => span.end());
      return numbers.reduce((a, b) => a + b, 0);
    }
  }
  return NestSumController;
}

/** An interceptor as applications write them: a span of its own around the handler's observable. */
@Injectable()
class SpanInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    activeIn.interceptor = trace.getActiveSpan()?.spanContext().spanId;
    const span = trace.getTracer('app').startSpan('intercepted');
    return next.handle().pipe(finalize(() => span.end()));
  }
}

describe('One trace across rxkafka and @opentelemetry/instrumentation-kafkajs (interop)', () => {
  const prefix = uniqueName('otel-interop');
  const topics = {
    toRx: `${prefix}.to-rx`,
    toNest: `${prefix}.to-nest`,
    toStrategy: `${prefix}.to-strategy`,
  };
  let sdk: InMemoryTracing;
  let instrumentation: KafkaJsInstrumentation;
  let server: KafkaServer;
  let nestServer: INestMicroservice;
  let strategyApp: INestMicroservice;
  let nestClient: ClientKafka;
  let client: KafkaClient;

  /** The spans of one trace, once there are `count` of them, and no more arrive. */
  async function spansOfTrace(traceId: string, count: number): Promise<ReadableSpan[]> {
    const spans = await eventually(() => {
      const found = sdk.spans().filter((span) => span.spanContext().traceId === traceId);
      return found.length >= count ? found : undefined;
    }, `${count} spans of trace ${traceId}`);
    return spans;
  }

  before(async () => {
    const brokers = [...(await useTestBroker()).brokers];
    await createTopics(Object.values(topics).flatMap((topic) => [{ topic }, { topic: `${topic}.reply` }]));
    // The SDK and the instrumentation first, as an application's tracing setup does: NestJS requires
    // kafkajs when its client and server are made, and the instrumentation wraps that copy.
    sdk = registerInMemoryTracing();
    instrumentation = new KafkaJsInstrumentation();
    instrumentation.enable();

    const container = new Container();
    registerControllers(container, [createRxKafkaSumController(topics.toRx)]);
    server = new KafkaServer(container, {
      client: { brokers, clientId: `${prefix}-rx` },
      consumer: { groupId: `${prefix}-rx` },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
    });
    await server.listen();

    nestServer = await startNestMicroservice([createNestSumController(topics.toNest, 'nestHandler')], {
      brokers,
      groupId: `${prefix}-nest-server`,
    });

    @Module({ controllers: [createNestSumController(topics.toStrategy, 'strategyHandler')] })
    class StrategyModule {}
    strategyApp = await NestFactory.createMicroservice(StrategyModule, {
      strategy: new RxKafkaStrategy({
        client: { brokers, clientId: `${prefix}-strategy` },
        consumer: { groupId: `${prefix}-strategy` },
        subscribe: { fromBeginning: true },
        logger: silentLogger,
      }),
      logger: false,
    });
    strategyApp.useGlobalInterceptors(new SpanInterceptor());
    await strategyApp.listen();

    nestClient = await connectNestClient([topics.toRx], { brokers, groupId: `${prefix}-nest-client` });
    client = new KafkaClient({
      client: { brokers, clientId: `${prefix}-caller` },
      consumer: { groupId: `${prefix}-caller` },
      logger: silentLogger,
      requestTimeoutMs: 20_000,
    });
    client.subscribeToResponseOf(topics.toNest);
    client.subscribeToResponseOf(topics.toStrategy);
    await client.connect();
  });

  after(async () => {
    await client?.close();
    await nestClient?.close();
    await strategyApp?.close();
    await nestServer?.close();
    await server?.close();
    instrumentation?.disable();
    await sdk?.unregister();
  });

  it('a NestJS ClientKafka so instrumented calling a KafkaServer: one trace, the kafkajs spans around rxkafka’s', async () => {
    const topic = topics.toRx;
    const reply = await trace
      .getTracer('app')
      .startActiveSpan('caller', async (span) =>
        firstValueFrom(nestClient.send(topic, [1, 2, 3])).finally(() => span.end()),
      );
    expect(reply).to.equal('6');
    const caller = await eventually(
      () => sdk.spans().find((span) => span.name === 'caller'),
      'the caller span',
    );
    const spans = await spansOfTrace(caller.spanContext().traceId, 6);
    if (process.env.PRINT_TRACE_TREE) process.stdout.write(`${renderSpanTree(spans)}\n`);

    const send = only(spans, `send ${topic}`, KAFKAJS_SCOPE);
    const processSpan = only(spans, `process ${topic}`, RXKAFKA_SCOPE);
    const handler = only(spans, 'add numbers', 'app');
    const replySend = only(spans, `send ${topic}.reply`, RXKAFKA_SCOPE);
    const replyProcess = only(spans, `process ${topic}.reply`, KAFKAJS_SCOPE);
    expect(spans).to.have.length(6);

    expect(send.kind).to.equal(SpanKind.PRODUCER);
    expect(parentSpanIdOf(send)).to.equal(idOf(caller));
    expect(send.attributes).to.include({ 'messaging.system': 'kafka', 'messaging.destination.name': topic });
    expect(processSpan.kind).to.equal(SpanKind.CONSUMER);
    expect(parentSpanIdOf(processSpan)).to.equal(idOf(send));
    expect(processSpan.attributes).to.include({
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
      'messaging.consumer.group.name': `${prefix}-rx-server`,
    });
    const correlationId = processSpan.attributes['messaging.message.conversation_id'];
    expect(correlationId).to.be.a('string');
    expect(activeIn.rxkafkaHandler).to.equal(idOf(processSpan));
    expect(parentSpanIdOf(handler)).to.equal(idOf(processSpan));
    expect(replySend.kind).to.equal(SpanKind.PRODUCER);
    expect(parentSpanIdOf(replySend)).to.equal(idOf(processSpan));
    expect(replySend.attributes).to.include({
      'messaging.destination.name': `${topic}.reply`,
      'messaging.message.conversation_id': correlationId,
    });
    expect(replyProcess.kind).to.equal(SpanKind.CONSUMER);
    expect(parentSpanIdOf(replyProcess)).to.equal(idOf(replySend));
    expect(replyProcess.attributes).to.include({
      'messaging.system': 'kafka',
      'messaging.destination.name': `${topic}.reply`,
    });
  });

  it('a KafkaClient calling a NestJS server whose kafkajs is so instrumented: one trace, rxkafka’s spans around the kafkajs ones', async () => {
    const topic = topics.toNest;
    expect(await firstValueFrom(client.send(topic, [4, 5]))).to.equal('9');
    const request = await eventually(
      () => sdk.spans().find((span) => span.name === `send ${topic}`),
      'the request span',
    );
    const spans = await spansOfTrace(request.spanContext().traceId, 5);
    if (process.env.PRINT_TRACE_TREE) process.stdout.write(`${renderSpanTree(spans)}\n`);

    expect(scopeOf(request)).to.equal(RXKAFKA_SCOPE);
    const processSpan = only(spans, `process ${topic}`, KAFKAJS_SCOPE);
    const handler = only(spans, 'add numbers', 'app');
    const replySend = only(spans, `send ${topic}.reply`, KAFKAJS_SCOPE);
    const replyProcess = only(spans, `process ${topic}.reply`, RXKAFKA_SCOPE);
    expect(spans).to.have.length(5);

    expect(request.kind).to.equal(SpanKind.PRODUCER);
    expect(parentSpanIdOf(request)).to.equal(undefined);
    const correlationId = request.attributes['messaging.message.conversation_id'];
    expect(processSpan.kind).to.equal(SpanKind.CONSUMER);
    expect(parentSpanIdOf(processSpan)).to.equal(idOf(request));
    expect(processSpan.attributes).to.include({
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
    });
    expect(activeIn.nestHandler).to.equal(idOf(processSpan));
    expect(parentSpanIdOf(handler)).to.equal(idOf(processSpan));
    expect(replySend.kind).to.equal(SpanKind.PRODUCER);
    expect(parentSpanIdOf(replySend)).to.equal(idOf(processSpan));
    expect(replyProcess.kind).to.equal(SpanKind.CONSUMER);
    expect(parentSpanIdOf(replyProcess)).to.equal(idOf(replySend));
    expect(replyProcess.attributes).to.include({
      'messaging.destination.name': `${topic}.reply`,
      'messaging.message.conversation_id': correlationId,
    });
  });

  it('a NestJS app on RxKafkaStrategy: its interceptor’s span and its handler inside rxkafka’s process span', async () => {
    const topic = topics.toStrategy;
    expect(await firstValueFrom(client.send(topic, [2, 2]))).to.equal('4');
    const request = await eventually(
      () => sdk.spans().find((span) => span.name === `send ${topic}`),
      'the request span',
    );
    const spans = await spansOfTrace(request.spanContext().traceId, 6);
    if (process.env.PRINT_TRACE_TREE) process.stdout.write(`${renderSpanTree(spans)}\n`);

    const processSpan = only(spans, `process ${topic}`, RXKAFKA_SCOPE);
    const intercepted = only(spans, 'intercepted', 'app');
    const handler = only(spans, 'add numbers', 'app');
    const replySend = only(spans, `send ${topic}.reply`, RXKAFKA_SCOPE);
    only(spans, `process ${topic}.reply`, RXKAFKA_SCOPE);
    expect(spans).to.have.length(6);

    expect(parentSpanIdOf(processSpan)).to.equal(idOf(request));
    expect(activeIn.interceptor).to.equal(idOf(processSpan));
    expect(parentSpanIdOf(intercepted)).to.equal(idOf(processSpan));
    expect(activeIn.strategyHandler).to.equal(idOf(processSpan));
    expect(parentSpanIdOf(handler)).to.equal(idOf(processSpan));
    expect(parentSpanIdOf(replySend)).to.equal(idOf(processSpan));
  });
});
