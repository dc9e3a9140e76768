/**
 * The two first-hour mistakes, against a real broker: a topic that does not exist, and brokers nobody
 * answers at. Each must fail fast, with a typed error that says what to do, and without a log flood.
 */
import { expect } from 'chai';
import { Container } from 'inversify';
import {
  consume,
  Controller,
  KafkaClient,
  KafkaServer,
  MessagePattern,
  registerControllers,
  replay,
  RxKafkaError,
} from '../../lib';
import { findFreePort } from '../../lib/testing/free-port';
import { specDriver } from '../support/spec-driver';
import { useTestBroker } from '../support/global-broker';
import { uniqueName } from '../support/kafka-fixtures';
import { RecordingLogger, type LogEntry } from '../support/recording-logger';

/** What a failed listen() or connect() rejected with, how long it took, and what was logged meanwhile. */
interface Failure {
  readonly error: RxKafkaError;
  readonly elapsedMs: number;
  readonly lines: readonly LogEntry[];
}

/** Log lines a user sees with the default logger (warnings and errors) and info lines. */
function visible(logger: RecordingLogger): LogEntry[] {
  return logger.entries.filter((entry) => entry.level !== 'debug');
}

async function measureFailure(logger: RecordingLogger, start: () => Promise<unknown>): Promise<Failure> {
  const startedAt = Date.now();
  const error = await start().then(
    () => undefined,
    (rejected: unknown) => rejected,
  );
  const elapsedMs = Date.now() - startedAt;
  expect(RxKafkaError.isRxKafkaError(error), String(error)).to.equal(true);
  return { error: error as RxKafkaError, elapsedMs, lines: visible(logger) };
}

function report(what: string, failure: Failure): void {
  process.stdout.write(
    `      [measured] ${what}: ${failure.error.code} after ${failure.elapsedMs} ms, ` +
      `${failure.lines.length} log line(s) at info or above\n`,
  );
}

function createServer(topic: string, brokers: readonly string[], logger: RecordingLogger, extra = {}) {
  @Controller()
  class MissingTopicController {
    @MessagePattern(topic)
    answer(): string {
      return 'never';
    }
  }
  const container = new Container();
  registerControllers(container, [MissingTopicController]);
  return new KafkaServer(container, {
    client: { brokers: [...brokers], clientId: uniqueName('connect-errors') },
    consumer: { groupId: uniqueName('connect-errors') },
    logger,
    ...specDriver(),
    ...extra,
  });
}

describe('first-connect failures (integration)', function () {
  this.timeout(120_000);
  const cleanups: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  context('when a topic to consume does not exist', () => {
    it('fails server.listen() with RXK_TOPIC_NOT_FOUND naming the request topic, in seconds, with no TLS guess', async () => {
      const { brokers } = await useTestBroker();
      const topic = uniqueName('missing.request');
      const logger = new RecordingLogger();
      const server = createServer(topic, brokers, logger);
      cleanups.push(() => server.close());
      const failure = await measureFailure(logger, () => server.listen());
      report('missing request topic, listen()', failure);
      expect(failure.error.code).to.equal('RXK_TOPIC_NOT_FOUND');
      expect(failure.error.message).to.contain(`'${topic}'`);
      expect(failure.error.message).to.contain('createTopics()');
      expect(failure.error.message).not.to.match(/TLS|ssl/i);
      expect(failure.error.context.topic).to.equal(topic);
      expect(failure.error.cause).to.have.property('type', 'UNKNOWN_TOPIC_OR_PARTITION');
      expect(failure.elapsedMs).to.be.below(5_000);
      // One attempt: the machine does not retry a missing topic on a first connect.
      expect(server.connection.actor.getSnapshot().context.connectAttempts).to.equal(1);
    });

    it('fails client.connect() with RXK_TOPIC_NOT_FOUND naming the reply topic', async () => {
      const { brokers } = await useTestBroker();
      const pattern = uniqueName('missing.reply');
      const logger = new RecordingLogger();
      const client = new KafkaClient({
        client: { brokers: [...brokers], clientId: uniqueName('connect-errors') },
        consumer: { groupId: uniqueName('connect-errors') },
        logger,
        ...specDriver(),
      });
      client.subscribeToResponseOf(pattern);
      cleanups.push(() => client.close());
      const failure = await measureFailure(logger, () => client.connect());
      report('missing reply topic, connect()', failure);
      expect(failure.error.code).to.equal('RXK_TOPIC_NOT_FOUND');
      expect(failure.error.message).to.contain(`'${pattern}.reply'`);
      expect(failure.error.message).not.to.match(/TLS|ssl/i);
      expect(failure.elapsedMs).to.be.below(5_000);
    });

    it('errors a consume() stream with RXK_TOPIC_NOT_FOUND naming only the missing topic', async () => {
      const { brokers } = await useTestBroker();
      const topic = uniqueName('missing.stream');
      const logger = new RecordingLogger();
      const stream = consume({
        client: { brokers: [...brokers], clientId: uniqueName('connect-errors') },
        groupId: uniqueName('connect-errors'),
        topics: [topic],
        logger,
        ...specDriver(),
      });
      const startedAt = Date.now();
      const error = await new Promise<unknown>((resolve) => {
        const subscription = stream.subscribe({ error: resolve, complete: () => resolve(undefined) });
        cleanups.push(async () => subscription.unsubscribe());
      });
      const elapsedMs = Date.now() - startedAt;
      process.stdout.write(
        `      [measured] missing consume() topic: ${(error as RxKafkaError).code} after ${elapsedMs} ms\n`,
      );
      expect((error as RxKafkaError).code).to.equal('RXK_TOPIC_NOT_FOUND');
      expect((error as RxKafkaError).message).to.contain(`'${topic}'`);
      expect(elapsedMs).to.be.below(5_000);
    });
    it('errors a replay() with RXK_TOPIC_NOT_FOUND naming the topic, without kafkajs’s minute of retries', async () => {
      const { brokers } = await useTestBroker();
      const topic = uniqueName('missing.replay');
      const logger = new RecordingLogger();
      const reading = replay(topic, { client: { brokers: [...brokers] }, logger, ...specDriver() });
      const startedAt = Date.now();
      const error = await new Promise<unknown>((resolve) => {
        const subscription = reading.subscribe({ error: resolve, complete: () => resolve(undefined) });
        cleanups.push(async () => subscription.unsubscribe());
      });
      const elapsedMs = Date.now() - startedAt;
      process.stdout.write(
        `      [measured] missing replay() topic: ${(error as RxKafkaError).code} after ${elapsedMs} ms, ` +
          `${visible(logger).length} log line(s) at info or above\n`,
      );
      expect((error as RxKafkaError).code).to.equal('RXK_TOPIC_NOT_FOUND');
      expect((error as RxKafkaError).message).to.contain(`'${topic}'`);
      expect(elapsedMs).to.be.below(5_000);
    });
  });

  context('when no broker answers at the given address', () => {
    for (const side of ['server.listen()', 'client.connect()'] as const) {
      it(`fails ${side} with RXK_BROKER_UNREACHABLE, its cause, the address and client.brokers, within connectTimeoutMs, one line per attempt`, async () => {
        const nobody = `127.0.0.1:${await findFreePort()}`;
        const logger = new RecordingLogger();
        const connectTimeoutMs = 3_000;
        const start =
          side === 'server.listen()'
            ? () => {
                const server = createServer(uniqueName('unreachable'), [nobody], logger, {
                  connectTimeoutMs,
                });
                cleanups.push(() => server.close());
                return {
                  run: () => server.listen(),
                  attempts: () => server.connection.actor.getSnapshot().context.connectAttempts,
                };
              }
            : () => {
                const client = new KafkaClient({
                  client: { brokers: [nobody] },
                  logger,
                  connectTimeoutMs,
                  ...specDriver(),
                });
                client.subscribeToResponseOf(uniqueName('unreachable'));
                cleanups.push(() => client.close());
                return {
                  run: () => client.connect(),
                  attempts: () => client.connection.actor.getSnapshot().context.connectAttempts,
                };
              };
        const { run, attempts } = start();
        const failure = await measureFailure(logger, run);
        report(`unreachable broker, ${side}, connectTimeoutMs ${connectTimeoutMs}`, failure);
        expect(failure.error.code).to.equal('RXK_BROKER_UNREACHABLE');
        expect(failure.error.retriable).to.equal(true);
        expect(failure.error.cause).to.be.instanceOf(Error);
        expect(failure.error.message).to.contain(nobody);
        expect(failure.error.message).to.contain('client.brokers');
        expect(failure.elapsedMs).to.be.below(connectTimeoutMs + 5_000);
        expect(failure.lines.length).to.be.at.most(attempts());
        expect(failure.lines.every((line) => !('stack' in line.fields))).to.equal(true);
      });
    }

    it('fails within the default bound (5 attempts, at most connectTimeoutMs 10 s) without any option', async () => {
      const nobody = `127.0.0.1:${await findFreePort()}`;
      const logger = new RecordingLogger();
      const client = new KafkaClient({
        client: { brokers: [nobody] },
        logger,
        producerOnlyMode: true,
        ...specDriver(),
      });
      cleanups.push(() => client.close());
      const failure = await measureFailure(logger, () => client.connect());
      report('unreachable broker, connect() with the defaults', failure);
      expect(failure.error.code).to.equal('RXK_BROKER_UNREACHABLE');
      expect(failure.elapsedMs).to.be.below(20_000);
      expect(failure.lines.length).to.be.at.most(
        client.connection.actor.getSnapshot().context.connectAttempts,
      );
    });
  });
});
