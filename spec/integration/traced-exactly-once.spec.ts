import { SpanKind } from '@opentelemetry/api';
import { expect } from 'chai';
import { processExactlyOnce, silentLogger, type ExactlyOnceProcessor } from '../../lib';
import { useTestBroker } from '../support/global-broker';
import { createTopics, produceRecords, uniqueName } from '../support/kafka-fixtures';
import { registerInMemoryTracing, type InMemoryTracing } from '../support/in-memory-tracing';
import { specDriver } from '../support/spec-driver';
import { eventually } from '../reliability/support/eventually';
import { headerText } from '../reliability/support/raw-kafka';
import { RecordCollector } from '../reliability/support/record-collector';

/** The traces the input records come from, as their producers' `traceparent` headers carry them. */
const PARENTS = [
  { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' },
  { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' },
  { traceId: '5c0e7ab1b0d2f29a8e1c3d4f5a6b7c8d', spanId: '1a2b3c4d5e6f7081' },
];

describe('exactly-once processing with OpenTelemetry (integration)', function () {
  const input = uniqueName('traced-eos-in');
  const output = uniqueName('traced-eos-out');
  let sdk: InMemoryTracing;
  let processor: ExactlyOnceProcessor | undefined;
  let collector: RecordCollector | undefined;

  before(async function () {
    this.timeout(120_000);
    const brokers = [...(await useTestBroker()).brokers];
    await createTopics([{ topic: input }, { topic: output }]);
    // The SDK first: a processor checks for it once, when it is made.
    sdk = registerInMemoryTracing();
    processor = processExactlyOnce({
      ...specDriver(),
      client: { brokers, clientId: uniqueName('traced-eos') },
      groupId: uniqueName('traced-eos-group'),
      transactionalIdPrefix: uniqueName('traced-eos-tx'),
      topics: [input],
      fromBeginning: true,
      logger: silentLogger,
      transform: ({ message }) => ({ topic: output, value: `invoice for ${String(message.value)}` }),
    });
    await processor.start();
    collector = await RecordCollector.start(brokers, [output]);
  });

  after(async function () {
    this.timeout(60_000);
    await collector?.stop();
    await processor?.close();
    await sdk?.unregister();
  });

  it('gives each transaction one process span linked to its inputs; its outputs carry its context', async function () {
    this.timeout(60_000);
    await produceRecords(
      input,
      PARENTS.map(({ traceId, spanId }, index) => ({
        value: `order ${index}`,
        headers: { traceparent: `00-${traceId}-${spanId}-01` },
      })),
    );
    await eventually(() => collector!.of(output).length === PARENTS.length, 'the transaction’s outputs');

    const transactions = sdk.spans().filter((span) => span.name === `process ${input}`);
    expect(transactions.length, 'transactions').to.be.within(1, PARENTS.length);
    for (const span of transactions) {
      expect(span.kind).to.equal(SpanKind.CONSUMER);
      expect(span.attributes).to.include({
        'messaging.system': 'kafka',
        'messaging.destination.name': input,
        'messaging.destination.partition.id': '0',
      });
      expect(span.attributes['messaging.batch.message_count']).to.equal(span.links.length);
    }
    // Linked, not parented: a transaction spans several traces, so it starts its own.
    const links = transactions.flatMap((span) =>
      span.links.map(({ context }) => ({ traceId: context.traceId, spanId: context.spanId })),
    );
    expect(links).to.have.deep.members(PARENTS);
    for (const span of transactions)
      expect(PARENTS.map((p) => p.traceId)).to.not.include(span.spanContext().traceId);

    // Each output record carries the context of the transaction that wrote it.
    const contexts = transactions.map(
      (span) => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`,
    );
    for (const record of collector!.of(output)) {
      expect(contexts).to.include(headerText(record.message, 'traceparent'));
    }
  });
});
