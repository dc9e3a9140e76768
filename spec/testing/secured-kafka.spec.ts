import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type KafkaConfig, type KafkaJSError } from 'kafkajs';
import { LocalKafka, startLocalKafka } from '../../lib/testing';
import { awaitLeaders, uniqueName } from '../support/kafka-fixtures';

/** Settings that make a failing kafkajs client give up at once instead of retrying or waiting. */
const FAIL_FAST = {
  logLevel: logLevel.NOTHING,
  retry: { retries: 0 },
  connectionTimeout: 2_000,
  authenticationTimeout: 2_000,
  requestTimeout: 5_000,
} as const;

/** Connects an admin with `config` and lists topics; resolves to the error it failed with. */
async function adminFailure(config: KafkaConfig): Promise<{ error: KafkaJSError }> {
  const admin = new Kafka({ ...FAIL_FAST, ...config }).admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    await admin.listTopics();
  } catch (error) {
    return { error: error as KafkaJSError };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  throw new Error('expected the admin to fail');
}

/** Every file below `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe("startLocalKafka({ security: 'sasl_ssl' }) (integration)", function () {
  this.timeout(180_000);
  let kafka: LocalKafka;
  /** The broker's temp folder: the new rxkafka-broker-* folder whose CA is ours (other runs may share tmpdir). */
  let brokerDir: string | undefined;
  const progress: string[] = [];

  before(async () => {
    const existing = new Set(readdirSync(tmpdir()));
    // KAFKA_BROKERS pointing at nothing: provider 'auto' with security must not use it.
    const saved = process.env.KAFKA_BROKERS;
    process.env.KAFKA_BROKERS = '127.0.0.1:1';
    try {
      kafka = await startLocalKafka({
        security: 'sasl_ssl',
        heapMb: 384,
        logger: {
          info: (message) => {
            progress.push(message);
            process.stdout.write(`      [secured broker] ${message}\n`);
          },
        },
      });
    } finally {
      if (saved === undefined) delete process.env.KAFKA_BROKERS;
      else process.env.KAFKA_BROKERS = saved;
    }
    brokerDir = readdirSync(tmpdir())
      .filter((name) => name.startsWith('rxkafka-broker-') && !existing.has(name))
      .map((name) => join(tmpdir(), name))
      .find((dir) => {
        const caFile = join(dir, 'tls', 'ca.pem');
        return (
          existsSync(caFile) && readFileSync(caFile, 'utf8').replace(/\r\n/g, '\n') === kafka.security?.ca
        );
      });
  });
  after(async () => {
    await kafka?.stop();
  });

  it("describes the broker's CA, users and kafkajs client settings", () => {
    expect(kafka.provider).to.equal('maven');
    const security = kafka.security!;
    expect(security.protocol).to.equal('sasl_ssl');
    expect(security.mechanism).to.equal('scram-sha-512');
    expect(new X509Certificate(security.ca).ca).to.equal(true);
    expect(security.user.username).to.equal('rxkafka');
    expect(security.user.password).to.have.length.above(20);
    expect(security.wrongPassword.username).to.equal(security.user.username);
    expect(security.wrongPassword.password).to.not.equal(security.user.password);
    expect(security.service.username).to.equal('rxkafka-service');
    expect(security.service.password).to.have.length.above(20);
    expect(security.service.password).to.not.equal(security.user.password);
    // Type check: a kafkajs KafkaConfig as is.
    const config: KafkaConfig = kafka.clientConfig;
    expect(config).to.deep.equal({
      brokers: [...kafka.brokers],
      ssl: { ca: [security.ca] },
      sasl: { mechanism: 'scram-sha-512', ...security.user },
    });
    expect(progress.join('\n')).to.not.contain(security.user.password);
    expect(progress.join('\n')).to.not.contain(security.service.password);
  });

  it('lets the application user list and create topics, and round-trips a record', async () => {
    const client = new Kafka({
      ...kafka.clientConfig,
      clientId: uniqueName('secured'),
      logLevel: logLevel.NOTHING,
    });
    const admin = client.admin();
    await admin.connect();
    const topic = uniqueName('secured');
    try {
      expect(await admin.listTopics()).to.not.include(topic);
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      await awaitLeaders(admin, [topic]);
      expect(await admin.listTopics()).to.include(topic);
    } finally {
      await admin.disconnect();
    }

    const producer = client.producer();
    const consumer = client.consumer({ groupId: uniqueName('secured-group') });
    await Promise.all([producer.connect(), consumer.connect()]);
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const received = new Promise<{ key?: string; value?: string }>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) =>
            resolve({ key: message.key?.toString(), value: message.value?.toString() }),
        });
      });
      await producer.send({ topic, acks: -1, messages: [{ key: 'hero', value: 'over TLS' }] });
      expect(await received).to.deep.equal({ key: 'hero', value: 'over TLS' });
    } finally {
      await Promise.all([producer.disconnect(), consumer.disconnect()]);
    }
  });

  it("fails a wrong password with kafkajs's SASL authentication error, not retriable", async () => {
    const { error } = await adminFailure({
      ...kafka.clientConfig,
      sasl: { mechanism: 'scram-sha-512', ...kafka.security!.wrongPassword },
    });
    expect(error.name).to.equal('KafkaJSSASLAuthenticationError');
    expect(error.retriable).to.equal(false);
    expect(error.message)
      .to.match(/SASL SCRAM SHA512 authentication failed/)
      .and.match(/invalid credentials/);
  });

  it('fails a plaintext client on the TLS port at once: the broker closes the connection', async () => {
    const { ssl: _ssl, ...plaintext } = kafka.clientConfig;
    const { error } = await adminFailure(plaintext);
    // retries: 0 wraps the retriable closed connection into kafkajs's "retries exceeded".
    expect(error.name).to.equal('KafkaJSNumberOfRetriesExceeded');
    expect(error.retriable).to.equal(false);
    expect(error.message).to.equal('Closed connection');
    const cause = error.cause as KafkaJSError;
    expect(cause.name).to.equal('KafkaJSConnectionClosedError');
    expect(cause.retriable).to.equal(true);
  });

  it('fails a TLS client that does not trust the CA with a certificate error', async () => {
    const { error } = await adminFailure({ ...kafka.clientConfig, ssl: true });
    expect(error.name).to.equal('KafkaJSNumberOfRetriesExceeded');
    expect(error.retriable).to.equal(false);
    expect(error.message).to.match(/^Connection error: self.signed certificate in certificate chain$/);
    const cause = error.cause as KafkaJSError & { code?: string };
    expect(cause.name).to.equal('KafkaJSConnectionError');
    expect(cause.code).to.equal('SELF_SIGNED_CERT_IN_CHAIN');
  });

  it('fails a TLS client that does not log in: the broker closes the connection', async () => {
    const { sasl: _sasl, ...noLogin } = kafka.clientConfig;
    const { error } = await adminFailure(noLogin);
    expect(error.name).to.equal('KafkaJSConnectionClosedError');
    expect(error.message).to.equal('Closed connection');
  });

  it("keeps the application user's password out of every file in the broker's temp folder", () => {
    expect(brokerDir, "the broker's temp folder").to.be.a('string');
    const properties = readFileSync(join(brokerDir!, 'node-1', 'server.properties'), 'utf8');
    expect(properties).to.contain('listeners=SASL_SSL://127.0.0.1:').and.contain('sasl.jaas.config=');
    const password = kafka.security!.user.password;
    const files = filesUnder(brokerDir!);
    expect(files).to.include(join(brokerDir!, 'node-1', 'broker.log'));
    expect(files.filter((file) => readFileSync(file).includes(password))).to.deep.equal([]);
  });
});
