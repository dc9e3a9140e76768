import { expect } from 'chai';
import { Kafka, logLevel } from 'kafkajs';
import { LocalKafka, startLocalKafka } from '../../lib/testing';
import { awaitLeaders, uniqueName } from '../support/kafka-fixtures';

describe('startLocalKafka({ nodes: 3 }) (integration)', function () {
  this.timeout(180_000);
  let cluster: LocalKafka;

  before(async function () {
    if (process.env.KAFKA_BROKERS) {
      // An external cluster cannot be stopped from here; the fault specs need rxkafka's own processes.
      this.skip();
    }
    cluster = await startLocalKafka({ provider: 'maven', nodes: 3, heapMb: 384 });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('keeps accepting acks=-1 writes while one of three brokers is down, and restarts it', async () => {
    expect(cluster.brokers).to.have.length(3);
    const kafka = new Kafka({
      clientId: uniqueName('cluster'),
      brokers: [...cluster.brokers],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const topic = uniqueName('replicated');
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 3,
          replicationFactor: 3,
          configEntries: [{ name: 'min.insync.replicas', value: '2' }],
        },
      ],
    });
    await awaitLeaders(admin, [topic]);
    const producer = kafka.producer({ retry: { retries: 10 } });
    await producer.connect();

    await cluster.stopNode(2, 'SIGKILL');
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });
    await cluster.startNode(2);

    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).to.equal(30);
    const described = await admin.describeCluster();
    expect(described.brokers.map((b) => b.nodeId).sort()).to.deep.equal([1, 2, 3]);
    await producer.disconnect();
    await admin.disconnect();
  });
});
