/**
 * The files of a new project that installs the packed rxkafka tarball: plain JavaScript (CommonJS and ESM,
 * no TypeScript, no ts-node) and one TypeScript file whose only job is to type-check against the package.
 */

/**
 * A plain-JS server and client: one request/reply round trip and one event, then a clean close. Decorators
 * are applied as the functions they are, as a JavaScript user without a decorator transform would.
 * Prints one JSON line with what it saw.
 */
export const REQUEST_REPLY_CJS = `'use strict';
const { Container } = require('inversify');
const {
  Controller, EventPattern, KafkaClient, MessagePattern, createMicroservice, registerControllers,
  silentLogger, RxKafkaError,
} = require('rxkafka');
const { startLocalKafka } = require('rxkafka/testing');
const { startInspector } = require('rxkafka/inspector');

const { SUM_TOPIC, EVENT_TOPIC } = process.env;
const events = [];

class SumController {
  sum(numbers) {
    return { total: numbers.reduce((total, n) => total + n, 0) };
  }
  counted(event) {
    events.push(event);
  }
}
const describe = (name) => Object.getOwnPropertyDescriptor(SumController.prototype, name);
MessagePattern(SUM_TOPIC)(SumController.prototype, 'sum', describe('sum'));
EventPattern(EVENT_TOPIC)(SumController.prototype, 'counted', describe('counted'));
Controller()(SumController);

async function main() {
  const kafka = await startLocalKafka({ provider: 'env' });
  const client = { brokers: [...kafka.brokers], clientId: 'plain-js' };
  const container = new Container();
  registerControllers(container, [SumController]);
  const server = createMicroservice(container, { client, consumer: { groupId: SUM_TOPIC }, logger: silentLogger });
  await server.listen();

  const requester = new KafkaClient({ client, consumer: { groupId: SUM_TOPIC }, logger: silentLogger, requestTimeoutMs: 20000 });
  requester.subscribeToResponseOf(SUM_TOPIC);
  await requester.connect();
  const sum = await new Promise((resolve, reject) => {
    requester.send(SUM_TOPIC, [1, 2, 3, 4]).subscribe({ next: resolve, error: reject });
  });
  await new Promise((resolve, reject) => {
    requester.emit(EVENT_TOPIC, { n: 7 }).subscribe({ complete: resolve, error: reject });
  });
  const deadline = Date.now() + 30000;
  while (events.length === 0) {
    if (Date.now() > deadline) throw new Error('the event did not reach its handler within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const inspector = await startInspector({ sources: [server, requester] });
  const page = await (await fetch(inspector.url)).text();
  const metrics = await (await fetch(new URL('metrics', inspector.url))).text();
  await inspector.close();
  await requester.close();
  const report = await server.close();
  process.stdout.write(JSON.stringify({
    sum,
    events,
    recordsFinished: report.recordsFinished,
    inspectorChart: page.includes('id="state:assigned"'),
    inspectorMetrics: metrics.includes('rxkafka_connection_state{source="server",state="assigned"} 1'),
    errorIsTyped: new RxKafkaError('RXK_SEND_FAILED', 'x').code === 'RXK_SEND_FAILED',
  }) + '\\n');
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + '\\n');
  process.exit(1);
});
`;

/** ESM named imports of both entry points, through Node's CommonJS interop. Prints what each name is. */
export const IMPORTS_MJS = `import { KafkaClient, KafkaServer, createMicroservice, MessagePattern, RxKafkaError, ERROR_CODES } from 'rxkafka';
import { startLocalKafka, waitForKafka } from 'rxkafka/testing';
import { startInspector, checkReadiness } from 'rxkafka/inspector';
import rxkafka from 'rxkafka';

process.stdout.write(JSON.stringify({
  KafkaClient: typeof KafkaClient,
  KafkaServer: typeof KafkaServer,
  createMicroservice: typeof createMicroservice,
  MessagePattern: typeof MessagePattern,
  RxKafkaError: typeof RxKafkaError,
  timeoutCode: typeof ERROR_CODES.RXK_REQUEST_TIMEOUT,
  startLocalKafka: typeof startLocalKafka,
  waitForKafka: typeof waitForKafka,
  startInspector: typeof startInspector,
  checkReadiness: typeof checkReadiness,
  defaultExport: typeof rxkafka.KafkaClient,
}) + '\\n');
`;

/** Uses the package's types; compiles only if they resolve and say what the API is. */
export const TYPES_TS = `import { KafkaClient, RxKafkaError, type KafkaClientOptions, type RxKafkaErrorCode } from 'rxkafka';
import { startLocalKafka, type LocalKafka } from 'rxkafka/testing';
import { startInspector, type Inspector, type InspectorOptions } from 'rxkafka/inspector';

const options: KafkaClientOptions = { client: { brokers: ['127.0.0.1:9092'] }, requestTimeoutMs: 5000 };
const client = new KafkaClient(options);
client.subscribeToResponseOf('math.sum');
const reply$ = client.send<number, number[]>('math.sum', [1, 2]);
reply$.subscribe((sum: number) => sum.toFixed(0));
const code: RxKafkaErrorCode = new RxKafkaError('RXK_SEND_FAILED', 'x').code;
const started: Promise<LocalKafka> = startLocalKafka({ nodes: 1 });
const inspectorOptions: InspectorOptions = { sources: [client], historySize: 100, record: 'inspector.jsonl' };
const inspecting: Promise<Inspector> = startInspector(inspectorOptions);
export { code, started, inspecting };
`;

/** A use the types must refuse: a number where the request timeout is milliseconds is fine, text is not. */
export const WRONG_TYPES_TS = `import { KafkaClient } from 'rxkafka';
new KafkaClient({ requestTimeoutMs: 'soon' });
`;
