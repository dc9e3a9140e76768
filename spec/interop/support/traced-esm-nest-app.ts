import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { installRxkafka, linkPackage } from '../../nestjs/support/esm-nest-app';
import { nestjsFolderOf, type NestjsMajor } from '../../support/nestjs-major';

const ROOT = resolve(__dirname, '..', '..', '..');

/**
 * Tracing set up as OpenTelemetry documents it for an ES module application, loaded with `node --import`
 * before the app: the instrumentation's loader hook (`@opentelemetry/instrumentation/hook.mjs`, which is
 * import-in-the-middle's) registered with `module.register`, then an SDK and the kafkajs instrumentation.
 * Every span that ends is written to stdout as one line, `span <JSON>`, for the parent process to read.
 */
export const TELEMETRY_MJS = `import { register } from 'node:module';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const printSpans = {
  onStart() {},
  onEnd(span) {
    const record = {
      name: span.name,
      kind: span.kind,
      scope: span.instrumentationScope.name,
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
      parentSpanId: span.parentSpanContext?.spanId,
      attributes: span.attributes,
    };
    process.stdout.write('span ' + JSON.stringify(record) + '\\n');
  },
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [printSpans] }));
new KafkaJsInstrumentation();
`;

/**
 * A NestJS application written as an ES module, importing rxkafka's CommonJS build: a \`Transport.KAFKA\`
 * microservice answering TO_NEST, and one on \`RxKafkaStrategy\` answering TO_STRATEGY, each with the sum of
 * the numbers it is sent (inside a span of its own, \`add numbers\`); and a \`ClientKafka\` that, once all are
 * connected, sends [1, 2, 3] to TO_RX inside a \`caller\` span. Prints \`ready\` once all are connected and
 * \`replied <JSON>\` with the reply. BROKERS and GROUP say where and as whom.
 */
export const TRACED_NEST_APP_MJS = `import 'reflect-metadata';
import { Controller, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientKafka, MessagePattern, Payload, Transport } from '@nestjs/microservices';
import { trace } from '@opentelemetry/api';
import { firstValueFrom } from 'rxjs';
import { silentLogger } from 'rxkafka';
import { RxKafkaStrategy } from 'rxkafka/nestjs';

const { BROKERS, GROUP, TO_NEST, TO_RX, TO_STRATEGY } = process.env;
const kafkaOptions = (groupId) => ({
  postfixId: '',
  client: { brokers: BROKERS.split(','), clientId: groupId, logCreator: () => () => undefined },
  consumer: { groupId },
  subscribe: { fromBeginning: true },
});

function createSumModule(topic) {
  class SumController {
    sum(numbers) {
      trace.getTracer('app').startActiveSpan('add numbers', (span) => span.end());
      return numbers.reduce((a, b) => a + b, 0);
    }
  }
  MessagePattern(topic)(SumController.prototype, 'sum', Object.getOwnPropertyDescriptor(SumController.prototype, 'sum'));
  Payload()(SumController.prototype, 'sum', 0);
  Controller()(SumController);
  class SumModule {}
  Module({ controllers: [SumController] })(SumModule);
  return SumModule;
}

Logger.overrideLogger(false);
const app = await NestFactory.createMicroservice(createSumModule(TO_NEST), {
  transport: Transport.KAFKA,
  options: kafkaOptions(GROUP + '-server'),
  logger: false,
});
await app.listen();
const strategy = new RxKafkaStrategy({
  client: { brokers: BROKERS.split(','), clientId: GROUP + '-strategy' },
  consumer: { groupId: GROUP + '-strategy' },
  postfixId: '',
  subscribe: { fromBeginning: true },
  logger: silentLogger,
});
const strategyApp = await NestFactory.createMicroservice(createSumModule(TO_STRATEGY), { strategy, logger: false });
await strategyApp.listen();
const client = new ClientKafka(kafkaOptions(GROUP + '-client'));
client.subscribeToResponseOf(TO_RX);
await client.connect();
process.stdout.write('ready\\n');

const reply = await trace
  .getTracer('app')
  .startActiveSpan('caller', (span) => firstValueFrom(client.send(TO_RX, [1, 2, 3])).finally(() => span.end()));
process.stdout.write('replied ' + JSON.stringify(reply) + '\\n');
`;

/** The packages the telemetry imports, linked from this repository's node_modules. */
const LINKED_FROM_ROOT = [
  '@opentelemetry/api',
  '@opentelemetry/context-async-hooks',
  '@opentelemetry/core',
  '@opentelemetry/sdk-trace-base',
  '@opentelemetry/instrumentation',
  '@opentelemetry/instrumentation-kafkajs',
];

/**
 * Lays out the traced ESM app in a temporary folder (`telemetry.mjs`, `main.mjs`), NestJS `major` linked from
 * its workspace, the rest from this repository. Run it as `node --import ./telemetry.mjs main.mjs`.
 */
export function createTracedEsmNestApp(major: NestjsMajor): string {
  const folder = mkdtempSync(join(tmpdir(), `rxkafka-traced-nestjs-${major}-`));
  writeFileSync(
    join(folder, 'package.json'),
    JSON.stringify({ name: 'traced-esm-nest-app', private: true, type: 'module' }, null, 2),
  );
  writeFileSync(join(folder, 'telemetry.mjs'), TELEMETRY_MJS);
  writeFileSync(join(folder, 'main.mjs'), TRACED_NEST_APP_MJS);
  const modules = join(folder, 'node_modules');
  installRxkafka(modules);
  for (const name of LINKED_FROM_ROOT) linkPackage(modules, name, ROOT);
  for (const name of ['common', 'core', 'microservices']) {
    linkPackage(modules, `@nestjs/${name}`, nestjsFolderOf(major));
  }
  return folder;
}
