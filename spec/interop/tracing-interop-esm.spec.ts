import { SpanKind, type Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Container } from 'inversify';
import { firstValueFrom } from 'rxjs';
import {
  Controller,
  KafkaClient,
  KafkaServer,
  MessagePattern,
  Payload,
  registerControllers,
  silentLogger,
} from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { parentSpanIdOf, registerInMemoryTracing, type InMemoryTracing } from '../support/in-memory-tracing';
import { uniqueName } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';
import { createTopicsReady } from './support/create-topics-ready';
import { eventually, eventuallyFind } from './support/eventually';
import { createTracedEsmNestApp } from './support/traced-esm-nest-app';

const KAFKAJS_SCOPE = '@opentelemetry/instrumentation-kafkajs';
const RXKAFKA_SCOPE = 'rxkafka';

/** A span as both processes report it: this one's from its SDK, the NestJS app's from its stdout. */
interface SpanRecord {
  readonly name: string;
  readonly kind: SpanKind;
  readonly scope: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly attributes: Attributes;
}

function toSpanRecord(span: ReadableSpan): SpanRecord {
  return {
    name: span.name,
    kind: span.kind,
    scope: span.instrumentationScope.name,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: parentSpanIdOf(span),
    attributes: span.attributes,
  };
}

/** The one span named `name` in `spans`, made by the instrumentation `scope`. */
function only(spans: readonly SpanRecord[], name: string, scope: string): SpanRecord {
  const found = spans.filter((span) => span.name === name);
  expect(found, `spans named ${name}`).to.have.length(1);
  expect(found[0].scope, `the scope of ${name}`).to.equal(scope);
  return found[0];
}

function createRxKafkaSumController(topic: string) {
  @Controller()
  class RxKafkaSumController {
    @MessagePattern(topic)
    sum(@Payload() numbers: number[]): number {
      return numbers.reduce((a, b) => a + b, 0);
    }
  }
  return RxKafkaSumController;
}

describe('One trace across rxkafka and an ES module NestJS 12 app traced by instrumentation-kafkajs’s loader hook (interop)', function () {
  // A child process that loads NestJS 12 as ES modules, under the instrumentation's loader hook.
  this.timeout(120_000);
  const prefix = uniqueName('otel-esm');
  const topics = {
    toRx: `${prefix}.to-rx`,
    toNest: `${prefix}.to-nest`,
    toStrategy: `${prefix}.to-strategy`,
  };
  let sdk: InMemoryTracing;
  let server: KafkaServer;
  let client: KafkaClient;
  let folder: string | undefined;
  let child: ChildProcess | undefined;
  let output = '';

  /** This process's spans and the app's, of one trace, once there are `count` of them. */
  function spansOfTrace(traceId: string, count: number): Promise<SpanRecord[]> {
    return eventuallyFind(() => {
      const spans = [...sdk.spans().map(toSpanRecord), ...appSpans()].filter(
        (span) => span.traceId === traceId,
      );
      return spans.length >= count ? spans : undefined;
    }, `${count} spans of trace ${traceId}`);
  }

  /** The request span this process's KafkaClient made for `topic`, and the `count` spans of its trace. */
  async function requestTrace(
    topic: string,
    count: number,
  ): Promise<{ request: SpanRecord; spans: SpanRecord[] }> {
    const request = await eventuallyFind(
      () =>
        sdk
          .spans()
          .map(toSpanRecord)
          .find((span) => span.name === `send ${topic}`),
      'the request span',
    );
    return { request, spans: await spansOfTrace(request.traceId, count) };
  }

  function appSpans(): SpanRecord[] {
    return [...output.matchAll(/^span (.*)$/gm)].map(([, json]) => JSON.parse(json) as SpanRecord);
  }

  before(async () => {
    const { brokers } = await useTestBroker();
    await createTopicsReady(
      Object.values(topics).flatMap((topic) => [{ topic }, { topic: `${topic}.reply` }]),
    );
    sdk = registerInMemoryTracing();
    const container = new Container();
    registerControllers(container, [createRxKafkaSumController(topics.toRx)]);
    server = new KafkaServer(container, {
      ...specDriver(),
      client: { brokers: [...brokers], clientId: `${prefix}-rx` },
      consumer: { groupId: `${prefix}-rx` },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
    });
    await server.listen();

    folder = createTracedEsmNestApp('12');
    child = spawn(process.execPath, ['--import', './telemetry.mjs', 'main.mjs'], {
      cwd: folder,
      env: {
        ...process.env,
        BROKERS: brokers.join(','),
        GROUP: `${prefix}-nest`,
        TO_NEST: topics.toNest,
        TO_RX: topics.toRx,
        TO_STRATEGY: topics.toStrategy,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = () => child?.exitCode !== null;
    await eventually(() => /^replied /m.test(output) || exited(), 'the NestJS app’s request', 90_000);
    if (!/^replied /m.test(output)) throw new Error(`the NestJS app exited ${child.exitCode}:\n${output}`);

    client = new KafkaClient({
      ...specDriver(),
      client: { brokers: [...brokers], clientId: `${prefix}-caller` },
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
    if (child?.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await server?.close();
    await sdk?.unregister();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('a NestJS 12 ClientKafka so instrumented calling a KafkaServer: one trace, the kafkajs spans around rxkafka’s', async () => {
    const topic = topics.toRx;
    expect(/^replied (.*)$/m.exec(output)?.[1]).to.equal('"6"');
    const caller = await eventuallyFind(
      () => appSpans().find((span) => span.name === 'caller'),
      'the caller span',
    );
    const spans = await spansOfTrace(caller.traceId, 5);
    const send = only(spans, `send ${topic}`, KAFKAJS_SCOPE);
    const processSpan = only(spans, `process ${topic}`, RXKAFKA_SCOPE);
    const replySend = only(spans, `send ${topic}.reply`, RXKAFKA_SCOPE);
    const replyProcess = only(spans, `process ${topic}.reply`, KAFKAJS_SCOPE);
    expect(spans).to.have.length(5);

    expect(send.kind).to.equal(SpanKind.PRODUCER);
    expect(send.parentSpanId).to.equal(caller.spanId);
    expect(send.attributes).to.include({ 'messaging.system': 'kafka', 'messaging.destination.name': topic });
    expect(processSpan.kind).to.equal(SpanKind.CONSUMER);
    expect(processSpan.parentSpanId).to.equal(send.spanId);
    const correlationId = processSpan.attributes['messaging.message.conversation_id'];
    expect(correlationId).to.be.a('string');
    expect(replySend.parentSpanId).to.equal(processSpan.spanId);
    expect(replyProcess.kind).to.equal(SpanKind.CONSUMER);
    expect(replyProcess.parentSpanId).to.equal(replySend.spanId);
    expect(replyProcess.attributes).to.include({
      'messaging.system': 'kafka',
      'messaging.destination.name': `${topic}.reply`,
    });
  });

  it('a KafkaClient calling a NestJS 12 server so instrumented: one trace, rxkafka’s spans around the kafkajs ones', async () => {
    const topic = topics.toNest;
    expect(await firstValueFrom(client.send(topic, [4, 5]))).to.equal('9');
    const { request, spans } = await requestTrace(topic, 5);
    const processSpan = only(spans, `process ${topic}`, KAFKAJS_SCOPE);
    const handler = only(spans, 'add numbers', 'app');
    const replySend = only(spans, `send ${topic}.reply`, KAFKAJS_SCOPE);
    const replyProcess = only(spans, `process ${topic}.reply`, RXKAFKA_SCOPE);
    expect(spans).to.have.length(5);

    expect(request.scope).to.equal(RXKAFKA_SCOPE);
    expect(processSpan.kind).to.equal(SpanKind.CONSUMER);
    expect(processSpan.parentSpanId).to.equal(request.spanId);
    expect(processSpan.attributes).to.include({
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
    });
    expect(handler.parentSpanId).to.equal(processSpan.spanId);
    expect(replySend.kind).to.equal(SpanKind.PRODUCER);
    expect(replySend.parentSpanId).to.equal(processSpan.spanId);
    expect(replyProcess.parentSpanId).to.equal(replySend.spanId);
    expect(replyProcess.attributes).to.include({
      'messaging.destination.name': `${topic}.reply`,
      'messaging.message.conversation_id': request.attributes['messaging.message.conversation_id'],
    });
  });

  it('a KafkaClient calling the NestJS 12 app on RxKafkaStrategy under the hook: rxkafka’s spans only, no kafkajs span on its records', async () => {
    const topic = topics.toStrategy;
    expect(await firstValueFrom(client.send(topic, [2, 2]))).to.equal('4');
    const { request, spans } = await requestTrace(topic, 5);
    const processSpan = only(spans, `process ${topic}`, RXKAFKA_SCOPE);
    const handler = only(spans, 'add numbers', 'app');
    const replySend = only(spans, `send ${topic}.reply`, RXKAFKA_SCOPE);
    const replyProcess = only(spans, `process ${topic}.reply`, RXKAFKA_SCOPE);
    expect(spans).to.have.length(5);

    expect(processSpan.parentSpanId).to.equal(request.spanId);
    expect(handler.parentSpanId).to.equal(processSpan.spanId);
    expect(replySend.parentSpanId).to.equal(processSpan.spanId);
    expect(replyProcess.parentSpanId).to.equal(replySend.spanId);
    expect(
      appSpans().filter((span) => span.scope === KAFKAJS_SCOPE && span.name.includes(topic)),
    ).to.deep.equal([]);
  });
});
