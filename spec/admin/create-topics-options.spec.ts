import { expect } from 'chai';
import { resolveCreateTopicsOptions } from '../../lib/admin/create-topics-options';
import { silentLogger } from '../../lib/logger';

describe('resolveCreateTopicsOptions()', () => {
  it('fills each topic in: 1 partition, the broker default replication factor, no configs', () => {
    const { topics } = resolveCreateTopicsOptions({ topics: [{ topic: 'orders' }] });
    expect(topics).to.deep.equal([{ topic: 'orders', numPartitions: 1, replicationFactor: -1, configs: {} }]);
  });

  it('keeps what is given', () => {
    const { topics } = resolveCreateTopicsOptions({
      topics: [
        { topic: 'orders', numPartitions: 6, replicationFactor: 3, configs: { 'cleanup.policy': 'compact' } },
      ],
    });
    expect(topics).to.deep.equal([
      { topic: 'orders', numPartitions: 6, replicationFactor: 3, configs: { 'cleanup.policy': 'compact' } },
    ]);
  });

  it("connects to localhost:9092 as 'rxkafka-admin' with three retries by default, 30 s for the leaders", () => {
    const resolved = resolveCreateTopicsOptions({ topics: [{ topic: 'orders' }] });
    expect(resolved.kafkaConfig).to.deep.equal({
      brokers: ['localhost:9092'],
      clientId: 'rxkafka-admin',
      retry: { retries: 3 },
    });
    expect(resolved.timeoutMs).to.equal(30_000);
  });

  it("keeps the caller's client settings, retry included", () => {
    const resolved = resolveCreateTopicsOptions({
      client: { brokers: ['kafka-1:9092', 'kafka-2:9092'], clientId: 'deploy', retry: { retries: 8 } },
      topics: [{ topic: 'orders' }],
      timeoutMs: 5_000,
      logger: silentLogger,
    });
    expect(resolved.kafkaConfig).to.deep.equal({
      brokers: ['kafka-1:9092', 'kafka-2:9092'],
      clientId: 'deploy',
      retry: { retries: 8 },
    });
    expect(resolved.timeoutMs).to.equal(5_000);
    expect(resolved.logger).to.equal(silentLogger);
  });

  it("freezes the result and never writes into the caller's objects", () => {
    const configs = { 'retention.ms': '1000' };
    const topic = { topic: 'orders', configs };
    const client = { brokers: ['localhost:9092'] };
    const resolved = resolveCreateTopicsOptions({ client, topics: [topic] });
    expect(Object.isFrozen(resolved)).to.equal(true);
    expect(Object.isFrozen(resolved.topics[0])).to.equal(true);
    expect(Object.isFrozen(resolved.topics[0].configs)).to.equal(true);
    expect(Object.isFrozen(resolved.kafkaConfig)).to.equal(true);
    expect(Object.isFrozen(configs) || Object.isFrozen(topic) || Object.isFrozen(client)).to.equal(false);
    expect(client).to.deep.equal({ brokers: ['localhost:9092'] });
    expect(topic).to.deep.equal({ topic: 'orders', configs: { 'retention.ms': '1000' } });
  });
});
