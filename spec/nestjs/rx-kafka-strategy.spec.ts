import {
  Catch,
  Controller,
  Logger,
  Module,
  UseFilters,
  type INestMicroservice,
  type RpcExceptionFilter,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Ctx,
  EventPattern,
  KafkaContext,
  KafkaRetriableException,
  MessagePattern,
  Payload,
  RpcException,
  Transport,
} from '@nestjs/microservices';
import { expect } from 'chai';
import { firstValueFrom, throwError, type Observable } from 'rxjs';
import { KafkaHeaders, RxKafkaError, silentLogger } from '../../lib';
import { checkReadiness } from '../../lib/inspector';
import { RxKafkaStrategy, type DrainReport, type RxKafkaStrategyOptions } from '../../lib/nestjs';
import { EVERY_TRANSPORT_KAFKA_KEY, NESTED_TYPOS } from '../options/kafka-config-fixtures';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { RecordingLogger } from '../support/recording-logger';
import { NESTJS_MAJOR } from '../support/nestjs-major';

const settle = () => new Promise((resolve) => setImmediate(resolve));

function createDeferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}

function request(id: string, value: unknown) {
  return {
    value: JSON.stringify(value),
    headers: {
      [KafkaHeaders.CORRELATION_ID]: id,
      [KafkaHeaders.REPLY_TOPIC]: 'math.sum.reply',
      [KafkaHeaders.REPLY_PARTITION]: '1',
    },
  };
}

/** Rethrows KafkaRetriableException as itself, as NestJS's docs tell Kafka users to (else it is a plain error reply). */
@Catch(KafkaRetriableException)
class RetriableFilter implements RpcExceptionFilter<KafkaRetriableException> {
  catch(exception: KafkaRetriableException): Observable<never> {
    return throwError(() => exception);
  }
}

describe('RxKafkaStrategy (a NestJS app on a fake driver)', () => {
  const seen: unknown[] = [];
  let contexts: unknown[] = [];
  let slow = createDeferred();
  let flakyRuns = 0;

  @Controller()
  class MathController {
    @MessagePattern('math.sum')
    sum(@Payload() numbers: number[], @Ctx() context: KafkaContext): { total: number; topic: string } {
      contexts.push(context);
      return { total: numbers.reduce((a, b) => a + b, 0), topic: context.getTopic() };
    }

    @MessagePattern('math.fail')
    fail(): never {
      throw new RpcException('bad numbers');
    }

    @MessagePattern('math.broken')
    broken(): never {
      throw new Error('numbers table is gone');
    }

    @MessagePattern('math.flaky', { retry: { attempts: 3, backoffMs: 0 } })
    @UseFilters(RetriableFilter)
    flaky(): string {
      flakyRuns += 1;
      if (flakyRuns < 3) throw new KafkaRetriableException('not yet');
      return `ran ${flakyRuns} times`;
    }

    @EventPattern('math.audited', { deadLetter: true })
    audited(@Payload() event: { fail?: boolean }): void {
      seen.push(event);
      if (event.fail) throw new Error('audit store down');
    }

    @MessagePattern('math.kafka-only', Transport.KAFKA)
    kafkaOnly(): string {
      return 'kafka';
    }

    @MessagePattern('math.tcp-only', Transport.TCP)
    tcpOnly(): string {
      return 'tcp';
    }

    @EventPattern('math.slow')
    async slowEvent(): Promise<void> {
      await slow.promise;
    }
  }

  @Module({ controllers: [MathController] })
  class MathModule {}

  let driver: FakeKafkaDriver;
  let logger: RecordingLogger;
  let strategy: RxKafkaStrategy;
  let app: INestMicroservice;

  async function startApp(options: RxKafkaStrategyOptions = {}): Promise<void> {
    Logger.overrideLogger(false);
    strategy = new RxKafkaStrategy({ driver, logger, drainTimeoutMs: 5_000, ...options });
    app = await NestFactory.createMicroservice(MathModule, { strategy, logger: false });
    await app.listen();
  }

  beforeEach(async () => {
    seen.length = 0;
    contexts = [];
    flakyRuns = 0;
    slow = createDeferred();
    driver = new FakeKafkaDriver();
    logger = new RecordingLogger();
    await startApp();
  });

  afterEach(async () => {
    slow.resolve();
    await app.close();
  });

  describe('app.listen()', () => {
    it("subscribes to the app's handler topics in NestJS's default group", () => {
      expect(driver.consumer.settings.groupId).to.equal('nestjs-group-server');
      expect([...driver.consumer.topics].sort()).to.deep.equal([
        'math.audited',
        'math.broken',
        'math.fail',
        'math.flaky',
        'math.kafka-only',
        'math.slow',
        'math.sum',
      ]);
    });

    it('binds handlers scoped to Transport.KAFKA, and not those of another transport (a hybrid app)', () => {
      expect(strategy.transportId).to.equal(Transport.KAFKA);
      expect([...driver.consumer.topics]).not.to.include('math.tcp-only');
    });

    if (NESTJS_MAJOR === '10') {
      it('listens without Nest’s `status`, which NestJS 10 does not have (11 added it)', async () => {
        expect((strategy as { status?: unknown }).status).to.equal(undefined);
        expect(await firstValueFrom(strategy.server.status$)).to.equal('connected');
      });
    } else {
      it('reports the connection’s status through Nest’s `status`', () => {
        const statuses: string[] = [];
        strategy.status.subscribe((status) => statuses.push(status));
        expect(statuses).to.deep.equal(['connected']);
      });
    }
  });

  describe('a request', () => {
    it("is answered by the app's handler, which gets NestJS's own KafkaContext", async () => {
      await driver.consumer.deliver('math.sum', 0, [request('id-1', [1, 2, 3])]);
      await settle();
      const [reply] = driver.producer.records;
      expect(reply).to.include({ topic: 'math.sum.reply', partition: 1 });
      expect(String(reply.record.value)).to.equal('{"total":6,"topic":"math.sum"}');
      expect(contexts[0]).to.be.instanceOf(KafkaContext);
      expect((contexts[0] as KafkaContext).getPartition()).to.equal(0);
      expect(driver.consumer.committed.get('math.sum/0')).to.equal('1');
    });

    it('whose handler throws RpcException gets the payload NestJS’s filter makes', async () => {
      await driver.consumer.deliver('math.fail', 0, [request('id-2', {})]);
      await settle();
      const [reply] = driver.producer.records;
      expect(String(reply.record.headers?.[KafkaHeaders.NEST_ERR])).to.equal(
        '{"status":"error","message":"bad numbers"}',
      );
    });

    it('whose handler throws RpcException is logged at debug only, without rxkafka’s internal class names', async () => {
      await driver.consumer.deliver('math.fail', 0, [request('id-4', {})]);
      await settle();
      expect(driver.producer.records).to.have.length(1);
      expect(
        logger.entries.filter((entry) => entry.level === 'warn' || entry.level === 'error'),
      ).to.deep.equal([]);
      expect(JSON.stringify(logger.entries)).not.to.contain('DecidedErrorPayload');
      const [line] = logger.find('debug', 'NestJS.@MessagePattern(math.fail) answered with an error reply', {
        topic: 'math.fail',
        correlationId: 'id-4',
      });
      expect(line?.fields.reply).to.deep.equal({ status: 'error', message: 'bad numbers' });
    });

    it('whose handler throws a plain Error is still a warning, with the reply NestJS’s filter made', async () => {
      await driver.consumer.deliver('math.broken', 0, [request('id-5', {})]);
      await settle();
      const [warning] = logger.find('warn', 'handler failed; sending an error reply', {
        correlationId: 'id-5',
      });
      expect(warning?.fields.reply).to.deep.equal({ status: 'error', message: 'Internal server error' });
      expect(JSON.stringify(logger.entries)).not.to.contain('DecidedErrorPayload');
    });

    it('runs again on a KafkaRetriableException its filter rethrows, as the extras’ retry says', async () => {
      await driver.consumer.deliver('math.flaky', 0, [request('id-3', {})]);
      await settle();
      expect(flakyRuns).to.equal(3);
      expect(driver.producer.records.map((r) => String(r.record.value))).to.deep.equal(['ran 3 times']);
    });
  });

  describe('an event whose handler throws', () => {
    it('is dead-lettered (the extras’ deadLetter) and committed: the partition moves on', async () => {
      await driver.consumer.deliver('math.audited', 0, [{ value: '{"fail":true}' }, { value: '{"n":2}' }]);
      await settle();
      expect(seen).to.deep.equal([{ fail: true }, { n: 2 }]);
      expect(driver.producer.records.map((r) => r.topic)).to.deep.equal(['math.audited.dlt']);
      expect(driver.consumer.committed.get('math.audited/0')).to.equal('2');
      expect(strategy.server.stats).to.deep.include({ handlerFailures: 1, deadLetters: 1 });
    });
  });

  describe('app.close()', () => {
    it('waits for a running handler, commits it, and reports through drainReport and on("drained")', async () => {
      const reports: DrainReport[] = [];
      strategy.on('drained', (report) => reports.push(report));
      const handled = driver.consumer.deliver('math.slow', 0, [{ value: '{}' }]);
      await settle();
      let closed = false;
      const closing = app.close().then(() => (closed = true));
      await settle();
      expect(closed).to.equal(false);
      slow.resolve();
      await handled;
      await closing;
      expect(reports).to.have.length(1);
      expect(reports[0]).to.deep.include({ mode: 'drain', timedOut: false, recordsFinished: 1 });
      expect(reports[0].committed).to.deep.include({ topic: 'math.slow', partition: 0, offset: '1' });
      expect(strategy.drainReport).to.equal(reports[0]);
    });
  });

  describe('.server', () => {
    it("exposes rxkafka's connection and partition actors, as the inspector and health checks read them", async () => {
      await driver.consumer.deliver('math.sum', 0, [request('id-4', [1])]);
      await settle();
      const { connection } = strategy.server;
      expect(checkReadiness(new Map([['heroes', connection]]))).to.deep.equal({ ok: true, reasons: [] });
      expect(connection.partitions.map((partition) => partition.id)).to.include('partition:math.sum/0');
    });
  });

  describe('.unwrap()', () => {
    it('gives [kafka, consumer, producer] once listening', () => {
      const [kafka] = strategy.unwrap<unknown[]>();
      expect(kafka).to.equal(driver.native);
    });

    it('throws NestJS’s "Not initialized" before listen', () => {
      expect(() => new RxKafkaStrategy({ driver: new FakeKafkaDriver() }).unwrap()).to.throw(
        /^Not initialized\. Please call the "listen"\/"startAllMicroservices" method/,
      );
    });
  });

  describe('.on()', () => {
    it('refuses an event it never emits, naming the ones it has', () => {
      expect(() => strategy.on('error', () => undefined))
        .to.throw(RxKafkaError, /listen to 'drained' or 'status'/)
        .with.property('code', 'RXK_INVALID_OPTIONS');
    });
  });

  describe('options', () => {
    it('are validated at construction, naming the option', () => {
      expect(() => new RxKafkaStrategy({ ordering: 'topic' as 'key' }))
        .to.throw(RxKafkaError, /ordering/)
        .with.property('code', 'RXK_INVALID_OPTIONS');
    });

    for (const { options, path, suggestion } of NESTED_TYPOS) {
      it(`reject ${path} inside a kafkajs config at construction, suggesting the key meant`, () => {
        expect(() => new RxKafkaStrategy(options))
          .to.throw(RxKafkaError, `unknown option '${path}': ${suggestion}`)
          .with.property('code', 'RXK_INVALID_OPTIONS');
      });
    }

    it('accept every key kafkajs takes', () => {
      expect(
        () => new RxKafkaStrategy({ ...EVERY_TRANSPORT_KAFKA_KEY, logger: silentLogger }),
      ).not.to.throw();
    });

    it("take NestJS's Transport.KAFKA options object as it is", () => {
      expect(
        () =>
          new RxKafkaStrategy({
            client: { clientId: 'heroes', brokers: ['localhost:9092'] },
            consumer: { groupId: 'heroes' },
            run: { partitionsConsumedConcurrently: 4 },
            subscribe: { fromBeginning: true },
            producer: { allowAutoTopicCreation: false },
            send: { acks: -1 },
            postfixId: '-server',
          }),
      ).not.to.throw();
    });
  });
});
