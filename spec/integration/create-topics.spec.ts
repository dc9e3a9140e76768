import { expect } from 'chai';
import { createTopics } from '../../lib/admin/create-topics';
import { RxKafkaError } from '../../lib/errors';
import { silentLogger } from '../../lib/logger';
import { useTestBroker } from '../support/global-broker';
import { uniqueName, withAdmin } from '../support/kafka-fixtures';
import { RecordingLogger } from '../support/recording-logger';

describe('createTopics() against the test broker', () => {
  let brokers: string[];

  before(async () => {
    brokers = [...(await useTestBroker()).brokers];
  });

  it('creates the topics with their partitions and configs, each partition with a leader that serves it', async () => {
    const [orders, snapshots] = [uniqueName('create.orders'), uniqueName('create.snapshots')];
    const result = await createTopics({
      client: { brokers },
      topics: [
        { topic: orders, numPartitions: 3 },
        { topic: snapshots, configs: { 'cleanup.policy': 'compact' } },
      ],
      logger: silentLogger,
    });
    expect(result).to.deep.equal({ created: [orders, snapshots], existing: [] });
    await withAdmin(async (admin) => {
      // Asked once, with no polling: createTopics() resolved only after the leaders served.
      const { topics } = await admin.fetchTopicMetadata({ topics: [orders, snapshots] });
      const byName = new Map(topics.map(({ name, partitions }) => [name, partitions]));
      expect(
        byName
          .get(orders)
          ?.map(({ partitionId }) => partitionId)
          .sort(),
      ).to.deep.equal([0, 1, 2]);
      expect(byName.get(snapshots)).to.have.length(1);
      for (const partitions of byName.values()) {
        for (const { leader } of partitions) expect(leader).to.be.at.least(0);
      }
      expect((await admin.fetchTopicOffsets(orders)).map(({ high }) => high)).to.deep.equal(['0', '0', '0']);
      const [described] = (
        await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: 2, name: snapshots, configNames: ['cleanup.policy'] }],
        })
      ).resources;
      expect(
        described.configEntries.find(({ configName }) => configName === 'cleanup.policy')?.configValue,
      ).to.equal('compact');
    });
  });

  it('is idempotent: topics that exist are reported as existing and left as they are', async () => {
    const [first, second] = [uniqueName('create.again'), uniqueName('create.new')];
    await createTopics({
      client: { brokers },
      topics: [{ topic: first, numPartitions: 2 }],
      logger: silentLogger,
    });
    const logger = new RecordingLogger();
    const result = await createTopics({
      client: { brokers },
      topics: [
        { topic: first, numPartitions: 2 },
        { topic: second, numPartitions: 1 },
      ],
      logger,
    });
    expect(result).to.deep.equal({ created: [second], existing: [first] });
    // rxkafka's own lines only: kafkajs may log a Metadata response that saw the new topic before its
    // leader (a transient it retries), which says nothing about the existing topic being left alone.
    const ownWarnings = logger.entries.filter(
      ({ level, fields }) => (level === 'warn' || level === 'error') && fields.namespace === undefined,
    );
    expect(ownWarnings).to.deep.equal([]);
    const again = await createTopics({
      client: { brokers },
      topics: [{ topic: second }],
      logger: silentLogger,
    });
    expect(again).to.deep.equal({ created: [], existing: [second] });
  });

  it('warns when an existing topic has fewer partitions than asked for, and leaves it as it is', async () => {
    const topic = uniqueName('create.fewer');
    await createTopics({ client: { brokers }, topics: [{ topic }], logger: silentLogger });
    const logger = new RecordingLogger();
    const result = await createTopics({ client: { brokers }, topics: [{ topic, numPartitions: 4 }], logger });
    expect(result).to.deep.equal({ created: [], existing: [topic] });
    const warnings = logger.find(
      'warn',
      `topic ${topic} exists with 1 partition(s), fewer than the 4 asked for`,
    );
    expect(warnings).to.have.length(1);
    const partitions = await withAdmin(async (admin) => admin.fetchTopicOffsets(topic));
    expect(partitions).to.have.length(1);
  });

  it('fails with RXK_CREATE_TOPICS_FAILED naming the topic, Kafka’s reason and the fix when the cluster refuses it', async () => {
    const topic = uniqueName('create.refused');
    const outcome = await createTopics({
      client: { brokers },
      topics: [{ topic, replicationFactor: 3 }],
      logger: silentLogger,
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(RxKafkaError.isRxKafkaError(outcome)).to.equal(true);
    const error = outcome as RxKafkaError;
    expect(error.code).to.equal('RXK_CREATE_TOPICS_FAILED');
    expect(error.retriable).to.equal(false);
    expect(error.context.topic).to.equal(topic);
    expect(error.message).to.include(topic);
    expect(error.message).to.include('INVALID_REPLICATION_FACTOR');
    expect(error.message).to.include('replicationFactor at most the number of brokers');
    const listed = await withAdmin(async (admin) => admin.listTopics());
    expect(listed).not.to.include(topic);
  });
});
