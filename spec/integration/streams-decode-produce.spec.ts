import { expect } from 'chai';
import { firstValueFrom, map, take, toArray } from 'rxjs';
import { commitAfter, consume, createProducer, produceTo, type StreamReport } from '../../lib';
import { RecordingLogger } from '../support/recording-logger';
import { useTestBroker } from '../support/global-broker';
import { specDriver } from '../support/spec-driver';
import { createTopics, produceRecords, uniqueName, withAdmin } from '../support/kafka-fixtures';
import { eventually } from '../reliability/support/eventually';
import { readTopic } from '../reliability/support/raw-kafka';

describe('consume() decoding and produceTo() (integration)', function () {
  this.timeout(60_000);
  let brokers: string[];
  before(async () => {
    brokers = [...(await useTestBroker()).brokers];
  });

  it('skips a record its decoder throws on, with a warning, commits past it, and the partition goes on', async () => {
    const [topic] = await createTopics([{ topic: uniqueName('streams-decode') }]);
    const groupId = uniqueName('streams-decode-group');
    await produceRecords(
      topic,
      ['1', 'not a number', '3', '4'].map((value) => ({ value })),
    );
    const logger = new RecordingLogger();
    const stream = consume<number>({
      ...specDriver(),
      client: { brokers },
      groupId,
      topics: [topic],
      fromBeginning: true,
      consumer: { maxWaitTimeInMs: 200 },
      logger,
      decode: (value) => {
        const number = Number(String(value));
        if (Number.isNaN(number)) throw new Error(`not a number: ${String(value)}`);
        return number;
      },
    });
    const values = await firstValueFrom(
      stream.pipe(
        commitAfter(),
        map((record) => record.value),
        take(3),
        toArray(),
      ),
    );
    expect(values).to.deep.equal([1, 3, 4]);
    expect(logger.find('warn', 'its decoder threw', { topic, partition: 0, offset: '1' })).to.have.length(1);
    await eventually(() => stream.lastReport !== undefined, 'the report', 20_000);
    expect(stream.lastReport as StreamReport).to.include({
      decodeFailures: 1,
      recordsEmitted: 3,
      recordsAbandoned: 0,
    });
    const [committed] = await withAdmin((admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
    expect(committed.partitions).to.deep.equal([{ partition: 0, offset: '4', metadata: null }]);
    await withAdmin((admin) => admin.deleteTopics({ topics: [topic] }));
  });

  it('produceTo() emits each element with the offset Kafka wrote it at, in order', async () => {
    const [source, target] = await createTopics([
      { topic: uniqueName('streams-produce-in'), numPartitions: 2 },
      { topic: uniqueName('streams-produce-out'), numPartitions: 3 },
    ]);
    const inputs = Array.from({ length: 60 }, (_, n) => ({ key: `k${n % 7}`, value: JSON.stringify({ n }) }));
    await produceRecords(source, inputs);
    const sourceEnds = await withAdmin((admin) => admin.fetchTopicOffsets(source));
    expect(sourceEnds.reduce((sum, { high }) => sum + Number(high), 0)).to.equal(60);
    // Idempotent, as the spec's own producers: a kafkajs retry of a plain producer can write a batch twice
    // on a topic created a moment ago (seen here: a partition of 35 records holding 70).
    const out = createProducer({
      ...specDriver(),
      client: { brokers },
      producer: { idempotent: true },
      logger: new RecordingLogger(),
    });
    const groupId = uniqueName('streams-produce-group');
    const stream = consume<{ n: number }>({
      ...specDriver(),
      client: { brokers },
      groupId,
      topics: [source],
      fromBeginning: true,
      consumer: { maxWaitTimeInMs: 200 },
      logger: new RecordingLogger(),
    });
    const produced = await firstValueFrom(
      stream.pipe(
        produceTo(target, out, {
          toRecord: (record) => ({
            key: String(record.key),
            value: JSON.stringify({ doubled: record.value.n * 2 }),
          }),
        }),
        commitAfter((result) => result.input),
        take(60),
        toArray(),
      ),
    );
    await out.close();
    // Every written position is where a reader of the target topic finds that very record.
    const read = await readTopic(brokers, target, (records) => records.length >= 60);
    const found = new Map(
      read.map(({ partition, message }) => [`${partition}/${message.offset}`, String(message.value)]),
    );
    for (const { input, written } of produced) {
      expect(written.topic).to.equal(target);
      expect(found.get(`${written.partition}/${written.offset}`)).to.equal(
        JSON.stringify({ doubled: input.value.n * 2 }),
      );
    }
    expect(new Set(produced.map(({ written }) => `${written.partition}/${written.offset}`)).size).to.equal(
      60,
    );
    await eventually(() => stream.lastReport !== undefined, 'the report', 20_000);
    const [committed] = await withAdmin((admin) => admin.fetchOffsets({ groupId, topics: [source] }));
    expect(committed.partitions.reduce((sum, { offset }) => sum + Number(offset), 0)).to.equal(60);
    await withAdmin((admin) => admin.deleteTopics({ topics: [source, target] }));
  });
});
