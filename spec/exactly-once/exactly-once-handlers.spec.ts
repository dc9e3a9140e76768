import { expect } from 'chai';
import { of } from 'rxjs';
import { KafkaRetriableException } from '../../lib';
import type { ConsumedRecord } from '../../lib/connection/kafka-connection';
import type { ProduceQueue } from '../../lib/connection/produce-queue';
import { RxKafkaError } from '../../lib/errors';
import { ExactlyOnceHandlers } from '../../lib/exactly-once/exactly-once-handlers';
import { collectOutputs, type TopicRecord } from '../../lib/exactly-once/transform-outputs';
import type { HandlerDescriptor } from '../../lib/handlers/handler-registry';
import type { HandlerOptions } from '../../lib/handlers/handler-options';
import type { KafkaContext } from '../../lib/handlers/kafka-context';
import type { Consumer, Producer } from '../../lib/kafka/kafkajs/kafkajs-types';
import { DeadLetterHeaders } from '../../lib/pipeline/dead-letter';
import { FailurePolicy } from '../../lib/pipeline/failure-policy';
import { KafkaRequestDeserializer, type Deserializer, type RequestPacket } from '../../lib/wire/deserializer';
import { KafkaParser, toRawRecord } from '../../lib/wire/parser';
import { ChannelRecorder } from '../support/channel-recorder';
import { RecordingLogger } from '../support/recording-logger';

const TOPIC = 'payments';

/** An exactly-once handler of TOPIC whose method is `run`. */
function handlerOf(
  run: (payload: unknown, context: KafkaContext) => unknown,
  options: Partial<HandlerOptions> = {},
): HandlerDescriptor {
  return {
    kind: 'event',
    pattern: TOPIC,
    options: { exactlyOnce: true, ...options },
    controller: 'BillingController',
    method: 'invoice',
    invoke: run,
  };
}

function recordOf(value: unknown, offset = '7'): ConsumedRecord {
  return {
    topic: TOPIC,
    partition: 2,
    message: {
      key: null,
      value: Buffer.from(JSON.stringify(value)),
      headers: {},
      offset,
      timestamp: '1700000000000',
      attributes: 0,
    },
  };
}

describe('ExactlyOnceHandlers', () => {
  let logger: RecordingLogger;
  const tools = { consumer: { fake: 'consumer' }, producer: { fake: 'producer' } };

  const createHandlers = (
    handler: HandlerDescriptor,
    policy: {
      deadLetter?: false | ((topic: string) => string);
      handlerTimeoutMs?: number;
      deserializer?: Deserializer<RequestPacket>;
    } = {},
  ): ExactlyOnceHandlers =>
    new ExactlyOnceHandlers({
      handlers: new Map([[TOPIC, handler]]),
      parser: new KafkaParser(),
      deserializer: policy.deserializer ?? new KafkaRequestDeserializer(),
      failures: new FailurePolicy({
        retry: { attempts: 3, backoffMs: 0, maxBackoffMs: 0 },
        deadLetter: policy.deadLetter ?? false,
        handlerTimeoutMs: policy.handlerTimeoutMs ?? 0,
        // Exactly-once dead letters go into the transaction, never through a produce queue.
        produceQueue: {} as ProduceQueue,
        logger,
      }),
      tools: () => tools as unknown as { consumer: Consumer; producer: Producer },
      logger,
    });

  /** What the transform gives for `record`, as the records the transaction would produce. */
  const outputsOf = (handlers: ExactlyOnceHandlers, record: ConsumedRecord): Promise<TopicRecord[]> =>
    Promise.resolve(collectOutputs(handlers.transform(record)));

  beforeEach(() => {
    logger = new RecordingLogger();
  });

  describe('.transform()', () => {
    it('runs the topic’s handler with the decoded payload and a KafkaContext of the record', async () => {
      const seen: unknown[] = [];
      const handlers = createHandlers(
        handlerOf((payload, context) => {
          seen.push(payload, context.getTopic(), context.getPartition(), context.getMessage().offset);
          seen.push(context.getConsumer(), context.getProducer());
          return { topic: 'invoices', key: 'p-1', value: { total: 10 } };
        }),
      );
      const outputs = await outputsOf(handlers, recordOf({ id: 1, amount: 10 }));
      expect(seen).to.deep.equal([{ id: 1, amount: 10 }, TOPIC, 2, '7', tools.consumer, tools.producer]);
      expect(outputs).to.deep.equal([{ topic: 'invoices', record: { key: 'p-1', value: '{"total":10}' } }]);
    });

    it('collects every value an Observable handler emits, in order', async () => {
      const handlers = createHandlers(
        handlerOf(() => of({ topic: 'invoices', value: 'a' }, { topic: 'ledger', value: 'b' })),
      );
      const outputs = await outputsOf(handlers, recordOf({ id: 1 }));
      expect(outputs.map(({ topic, record }) => `${topic}:${String(record.value)}`)).to.deep.equal([
        'invoices:a',
        'ledger:b',
      ]);
    });

    it('runs the handler again on KafkaRetriableException, up to its retry policy', async () => {
      let runs = 0;
      const handlers = createHandlers(
        handlerOf(async () => {
          runs += 1;
          if (runs < 3) throw new KafkaRetriableException('ledger busy');
          return { topic: 'invoices', value: runs };
        }),
      );
      const outputs = await outputsOf(handlers, recordOf({ id: 1 }));
      expect(runs).to.equal(3);
      expect(outputs.map(({ record }) => record.value)).to.deep.equal(['3']);
    });

    it('rejects once the handler failed for good, after the attempts its own retry policy allows', async () => {
      let runs = 0;
      const handlers = createHandlers(
        handlerOf(
          () => {
            runs += 1;
            throw new KafkaRetriableException('still busy');
          },
          { retry: { attempts: 2 } },
        ),
      );
      const failed = await outputsOf(handlers, recordOf({ id: 1 })).catch((error: unknown) => error);
      expect(runs).to.equal(2);
      expect(failed)
        .to.be.instanceOf(Error)
        .with.property('message', 'BillingController.invoice: still busy');
    });

    it('cuts a silent async handler off after handlerTimeoutMs with RXK_HANDLER_TIMEOUT', async () => {
      const handlers = createHandlers(
        handlerOf(() => new Promise(() => undefined), { retry: { attempts: 1 } }),
        { handlerTimeoutMs: 5 },
      );
      const failed = await outputsOf(handlers, recordOf({ id: 1 })).catch((error: unknown) => error);
      const cause = (failed as Error).cause;
      expect(cause).to.be.instanceOf(RxKafkaError).with.property('code', 'RXK_HANDLER_TIMEOUT');
    });
  });

  describe('diagnostics channels', () => {
    let recorder: ChannelRecorder;
    beforeEach(() => {
      recorder = new ChannelRecorder().start();
    });
    afterEach(() => recorder.stop());

    it('publishes a run’s start and end, once each whatever its retries, and each retry between, on the record it ran on', async () => {
      let runs = 0;
      const handlers = createHandlers(
        handlerOf(() => {
          runs += 1;
          if (runs < 2) throw new KafkaRetriableException('ledger busy');
          return { topic: 'invoices', value: runs };
        }),
      );
      await outputsOf(handlers, recordOf({ id: 1 }, '9'));
      const where = {
        kind: 'event',
        handler: 'BillingController.invoice',
        pattern: TOPIC,
        topic: TOPIC,
        partition: 2,
        offset: '9',
      };
      expect(recorder.channels).to.deep.equal([
        'rxkafka:handler:start',
        'rxkafka:handler:retry',
        'rxkafka:handler:end',
      ]);
      expect(recorder.on('rxkafka:handler:start')[0]).to.deep.equal(where);
      expect(recorder.on('rxkafka:handler:retry')[0]).to.deep.include({ ...where, attempt: 1, attempts: 3 });
      expect(recorder.on('rxkafka:handler:end')[0]).to.include(where);
      expect(recorder.on('rxkafka:handler:end')[0].durationMs).to.be.a('number').at.least(0);
    });

    it('publishes the error of a run that failed for good before its end', async () => {
      const boom = new Error('ledger down');
      const handlers = createHandlers(
        handlerOf(
          () => {
            throw boom;
          },
          { retry: { attempts: 1 } },
        ),
      );
      await outputsOf(handlers, recordOf({ id: 1 })).catch(() => undefined);
      expect(recorder.channels).to.deep.equal([
        'rxkafka:handler:start',
        'rxkafka:handler:error',
        'rxkafka:handler:end',
      ]);
      expect(recorder.on('rxkafka:handler:error')[0].error).to.equal(boom);
    });

    it('publishes no handler run for a record the deserializer refused', async () => {
      const refusing = createHandlers(
        handlerOf(() => ({ topic: 'invoices', value: 1 })),
        {
          deserializer: { deserialize: () => Promise.reject(new Error('not JSON')) },
        },
      );
      const failed = await outputsOf(refusing, recordOf({ id: 1 })).catch((error: unknown) => error);
      expect(failed).to.be.instanceOf(Error).with.property('message', 'deserializer: not JSON');
      expect(recorder.channels).to.deep.equal([]);
    });
  });

  describe('.onTransformFailure()', () => {
    const failing = () =>
      handlerOf(
        () => {
          throw new Error('negative amount');
        },
        { retry: { attempts: 1 } },
      );
    const failureOf = async (handlers: ExactlyOnceHandlers, record: ConsumedRecord) => {
      const error = await outputsOf(handlers, record).catch((rejected: unknown) => rejected);
      const failure = new RxKafkaError('RXK_TRANSFORM_FAILED', 'the transform failed', { cause: error });
      return handlers.onTransformFailure({
        record: toRawRecord(record.message, record.topic, record.partition),
        error,
        failure,
      });
    };

    it('returns the dead letter of the record, naming the handler and its attempts, for the transaction', async () => {
      const handlers = createHandlers(failing(), { deadLetter: (topic) => `${topic}.dlt` });
      const instead = await failureOf(handlers, recordOf({ id: 1, amount: -5 }));
      expect(instead).to.have.length(1);
      const [{ topic, record }] = instead;
      expect(topic).to.equal('payments.dlt');
      expect(String(record.value)).to.equal('{"id":1,"amount":-5}');
      expect(record.headers).to.include({
        [DeadLetterHeaders.HANDLER]: 'BillingController.invoice',
        [DeadLetterHeaders.EXCEPTION_MESSAGE]: 'negative amount',
        [DeadLetterHeaders.ATTEMPTS]: '1',
        [DeadLetterHeaders.ORIGINAL_OFFSET]: '7',
      });
      expect(handlers.failed).to.equal(1);
      expect(
        logger.find('error', 'the record is dead-lettered to payments.dlt in its transaction', {
          code: 'RXK_TRANSFORM_FAILED',
          offset: '7',
        }),
      ).to.have.length(1);
    });

    it('without a dead-letter topic, skips the record: nothing to produce, and logged', async () => {
      const handlers = createHandlers(failing());
      const instead = await failureOf(handlers, recordOf({ id: 2 }));
      expect(instead).to.deep.equal([]);
      expect(handlers.failed).to.equal(1);
      expect(logger.find('error', 'the record is skipped in its transaction')).to.have.length(1);
    });

    it('names the handler of an output without a topic, found only when the outputs were encoded', async () => {
      const handlers = createHandlers(
        handlerOf(() => ({ value: 'no topic' })),
        {
          deadLetter: (topic) => `${topic}.dlt`,
        },
      );
      const [deadLetter] = await failureOf(handlers, recordOf({ id: 3 }));
      expect(deadLetter.record.headers).to.include({
        [DeadLetterHeaders.HANDLER]: 'BillingController.invoice',
        [DeadLetterHeaders.ATTEMPTS]: '1',
      });
    });
  });
});
