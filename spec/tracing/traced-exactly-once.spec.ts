import { expect } from 'chai';
import { SpanKind } from '@opentelemetry/api';
import { ExactlyOnceBatches } from '../../lib/exactly-once/exactly-once-batches';
import { PartitionProducers } from '../../lib/exactly-once/partition-producers';
import type { FetchedBatch } from '../../lib/kafka/fetched-batch';
import { PartitionProgressBook } from '../../lib/offsets/partition-progress';
import { silentLogger } from '../../lib';
import { createKafkaTracing } from '../../lib/tracing/kafka-tracing';
import { FakeKafkaDriver } from '../support/fake-kafka-driver';
import { registerInMemoryTracing, type InMemoryTracing } from '../support/in-memory-tracing';

const PARENTS = [
  { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' },
  { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' },
];

/** A fetched batch of one record per parent, each carrying its parent's traceparent. */
function fetchedBatch(): FetchedBatch {
  return {
    batch: {
      topic: 'orders',
      partition: 0,
      highWatermark: String(PARENTS.length),
      messages: PARENTS.map(({ traceId, spanId }, index) => ({
        key: null,
        value: Buffer.from(`order ${index}`),
        headers: { traceparent: Buffer.from(`00-${traceId}-${spanId}-01`) },
        offset: String(index),
        timestamp: '1700000000000',
        attributes: 0,
      })),
    },
    resolveOffset: () => undefined,
    heartbeat: async () => undefined,
    isRunning: () => true,
    isStale: () => false,
    uncommittedOffsets: () => ({ topics: [] }),
    commitOffsetsIfNecessary: async () => undefined,
  };
}

describe('tracing of what rxkafka produces in batches', () => {
  let sdk: InMemoryTracing;

  beforeEach(() => {
    sdk = registerInMemoryTracing();
  });

  afterEach(() => sdk.unregister());

  describe('an exactly-once transaction', () => {
    it('is one process span linked to its inputs, and its outputs carry its context', async () => {
      const driver = new FakeKafkaDriver();
      const batches = new ExactlyOnceBatches({
        options: {
          groupId: 'billing',
          transform: ({ message }) => ({ topic: 'invoices', value: `invoice ${String(message.value)}` }),
          onTransformFailure: () => 'stop',
          maxBatchRecords: 500,
          retryDelayMs: 1,
          maxRetryDelayMs: 1,
          onTransactionCommitted: undefined,
          logger: silentLogger,
        },
        driver,
        producers: new PartitionProducers(driver, 'billing-tx', undefined, silentLogger),
        dispatchMode: () => 'running',
        seek: () => undefined,
        progress: new PartitionProgressBook(),
        onPoisonRecord: () => undefined,
        tracing: createKafkaTracing({ clientId: 'biller', groupId: 'billing' }, silentLogger),
      });
      await batches.eachBatch(fetchedBatch());

      const [span] = sdk.spans();
      expect(sdk.spans()).to.have.length(1);
      expect(span.name).to.equal('process orders');
      expect(span.kind).to.equal(SpanKind.CONSUMER);
      expect(span.attributes).to.include({
        'messaging.batch.message_count': 2,
        'messaging.consumer.group.name': 'billing',
        'messaging.destination.partition.id': '0',
      });
      expect(
        span.links.map(({ context }) => ({ traceId: context.traceId, spanId: context.spanId })),
      ).to.deep.equal(PARENTS);
      const { traceId, spanId } = span.spanContext();
      const [transaction] = driver.transactions;
      expect(transaction.outcome).to.equal('committed');
      expect(transaction.records.map(({ record }) => record.headers?.traceparent)).to.deep.equal([
        `00-${traceId}-${spanId}-01`,
        `00-${traceId}-${spanId}-01`,
      ]);
    });
  });
});
