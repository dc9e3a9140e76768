import { expect } from 'chai';
import { Container } from 'inversify';
import type { Consumer } from 'kafkajs';
import {
  Controller,
  EventPattern,
  KafkaServer,
  Payload,
  silentLogger,
  type DrainReport,
  type ExactlyOnceOutput,
} from '../../lib';
import { DeadLetterHeaders } from '../../lib/pipeline/dead-letter';
import { committedTotal, OutputReader, produceInputs, waitUntil } from '../exactly-once/support/eos-fixture';
import { useTestBroker } from '../support/global-broker';
import { createTopics, testKafka, uniqueName, withAdmin } from '../support/kafka-fixtures';
import { specDriver } from '../support/spec-driver';

const INPUTS = 600;
/** Ids whose handler throws: 13, 113, …, 513. */
const isPoison = (id: number) => id % 100 === 13;
const POISON = Array.from({ length: INPUTS }, (_, id) => id).filter(isPoison);

/** Reads a topic with read_committed from the beginning, keeping each record's headers. */
async function readHeaders(
  topic: string,
): Promise<{ consumer: Consumer; headers: Array<Record<string, string>> }> {
  const headers: Array<Record<string, string>> = [];
  const consumer = (await testKafka()).consumer({ groupId: uniqueName('dlt-reader') });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      headers.push(
        Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
        ),
      );
    },
  });
  return { consumer, headers };
}

describe('KafkaServer with an exactly-once handler (broker)', function () {
  this.timeout(60_000);

  it('gives a read_committed reader one output per input, commits the exactly-once group to the end offsets, and dead-letters a failing record in its transaction', async () => {
    const { brokers } = await useTestBroker();
    const [input, output, deadLetters, audits] = await createTopics([
      { topic: uniqueName('eosc-in'), numPartitions: 3 },
      { topic: uniqueName('eosc-out'), numPartitions: 3 },
      { topic: uniqueName('eosc-dlt') },
      { topic: uniqueName('eosc-audit') },
    ]);
    const groupId = uniqueName('eosc-group');
    const audited: unknown[] = [];

    @Controller()
    class BillingController {
      @EventPattern(input, { exactlyOnce: true, deadLetter: deadLetters })
      invoice(@Payload() payment: { id: number }): ExactlyOnceOutput {
        if (isPoison(payment.id)) throw new Error(`payment ${payment.id} is malformed`);
        return { topic: output, key: String(payment.id), value: { id: payment.id } };
      }

      @EventPattern(audits)
      audit(@Payload() event: unknown): void {
        audited.push(event);
      }
    }

    const container = new Container();
    container.bind(BillingController).toSelf();
    const server = new KafkaServer(container, {
      ...specDriver(),
      client: { brokers: [...brokers] },
      consumer: { groupId },
      subscribe: { fromBeginning: true },
      logger: silentLogger,
    });
    const outputs = await OutputReader.start(output);
    const dlt = await readHeaders(deadLetters);
    let report: DrainReport | undefined;
    try {
      await server.listen();
      await produceInputs(input, INPUTS);
      await produceInputs(audits, 5);
      const exactlyOnceGroup = `${groupId}-server.exactly-once`;
      await waitUntil(
        async () => (await committedTotal(exactlyOnceGroup, input)) === INPUTS,
        'the exactly-once group to commit every input',
        30_000,
      );
      await waitUntil(() => audited.length === 5, 'the plain handler to see every audit event', 30_000);
      await waitUntil(
        () => outputs.total >= INPUTS - POISON.length && dlt.headers.length >= POISON.length,
        'every output and dead letter',
        30_000,
        () => `${outputs.total} outputs, ${dlt.headers.length} dead letters`,
      );

      // The group's offsets are the input's end offsets, partition by partition.
      const [committed, ends] = await withAdmin(async (admin) => [
        (await admin.fetchOffsets({ groupId: exactlyOnceGroup, topics: [input] }))[0].partitions,
        await admin.fetchTopicOffsets(input),
      ]);
      const byPartition = (entries: Array<{ partition: number; offset: string }>) =>
        Object.fromEntries(entries.map(({ partition, offset }) => [partition, offset]));
      expect(byPartition(committed as Array<{ partition: number; offset: string }>)).to.deep.equal(
        byPartition(ends as Array<{ partition: number; offset: string }>),
      );
    } finally {
      report = await server.close();
      await Promise.all([outputs.stop(), dlt.consumer.disconnect()]);
    }

    expect(outputs.duplicates).to.deep.equal([]);
    expect(outputs.missing(INPUTS)).to.deep.equal(POISON);
    expect(outputs.total).to.equal(INPUTS - POISON.length);
    expect(dlt.headers.map((headers) => headers[DeadLetterHeaders.ORIGINAL_TOPIC])).to.deep.equal(
      POISON.map(() => input),
    );
    expect(dlt.headers.map((headers) => headers[DeadLetterHeaders.HANDLER])).to.deep.equal(
      POISON.map(() => 'BillingController.invoice'),
    );
    expect(dlt.headers.map((headers) => headers[DeadLetterHeaders.EXCEPTION_MESSAGE]).sort()).to.deep.equal(
      POISON.map((id) => `payment ${id} is malformed`).sort(),
    );
    expect(report.exactlyOnce).to.include({
      recordsProcessed: INPUTS,
      outputsProduced: INPUTS - POISON.length,
      deadLetters: POISON.length,
      timedOut: false,
    });
  });

  it('keeps one output per input when a second instance of the service joins mid-stream and takes partitions over', async () => {
    const { brokers } = await useTestBroker();
    const inputs = 3_000;
    const [input, output] = await createTopics([
      { topic: uniqueName('eosc-in'), numPartitions: 3 },
      { topic: uniqueName('eosc-out'), numPartitions: 3 },
    ]);
    const groupId = uniqueName('eosc-group');

    @Controller()
    class SlowController {
      @EventPattern(input, { exactlyOnce: true })
      async invoice(@Payload() payment: { id: number }): Promise<ExactlyOnceOutput> {
        // Slow enough that the stream is still running when the second instance joins.
        await new Promise((resolve) => setTimeout(resolve, 10));
        return { topic: output, key: String(payment.id), value: { id: payment.id } };
      }
    }
    const startInstance = async () => {
      const container = new Container();
      container.bind(SlowController).toSelf();
      // The same options in both instances: the same groups and transactional id prefix, derived from groupId.
      const server = new KafkaServer(container, {
        ...specDriver(),
        client: { brokers: [...brokers] },
        consumer: { groupId },
        subscribe: { fromBeginning: true },
        logger: silentLogger,
      });
      await server.listen();
      return server;
    };

    const outputs = await OutputReader.start(output);
    const servers: KafkaServer[] = [];
    try {
      servers.push(await startInstance());
      await produceInputs(input, inputs);
      await waitUntil(() => outputs.total >= 300, '300 outputs', 30_000);
      servers.push(await startInstance());
      await waitUntil(
        async () => (await committedTotal(`${groupId}-server.exactly-once`, input)) === inputs,
        'the exactly-once group to commit every input',
        45_000,
      );
      await waitUntil(() => outputs.seen.size === inputs, 'every output', 30_000);
      // Outputs of an aborted or fenced transaction would arrive late: give them the time to show.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      await Promise.all(servers.map((server) => server.close()));
      await outputs.stop();
    }
    const [first, second] = servers.map((server) => server.stats.exactlyOnce?.recordsProcessed ?? 0);
    expect(second, 'records the second instance committed').to.be.greaterThan(0);
    expect(first + second).to.be.at.least(inputs);
    expect(outputs.duplicates).to.deep.equal([]);
    expect(outputs.missing(inputs)).to.deep.equal([]);
    expect(outputs.total).to.equal(inputs);
  });
});
