/**
 * The kafkajs workaround for a first connect to brokers nobody answers at.
 *
 * Why: kafkajs 2.2.4 retries a socket that cannot be opened inside every connect() (cluster/brokerPool.js,
 * `client.retry`: 5 retries from 300 ms, about 10 s), logging each try twice, before the connect rejects.
 * The connection machine's own attempts, backoff and connect timeout then cannot act in less time than
 * that, and a wrong port took a minute to report. Before a client has ever reached its cluster, each
 * broker address is tried once, without kafkajs's retries: when none can be opened, the connect attempt
 * fails at once with that error, and the machine decides when to try again.
 */
import type { KafkaConfig, logCreator } from 'kafkajs';
import { Kafka } from './kafkajs-library';

/**
 * Resolves once any of `config.brokers` accepts a connection (kafkajs's ApiVersions, with TLS as configured
 * and without the SASL login), or when the answer is not "nobody there"
 * (a closed connection, a TLS or SASL failure: kafkajs's own connect, with its retries, deals with those);
 * rejects with the last broker's error when no connection to any of them could be opened. A brokers
 * function (discovery) is not probed.
 */
export async function probeBrokers(
  config: KafkaConfig,
  logCreator: logCreator,
  isUnopened: (error: unknown) => boolean,
): Promise<void> {
  if (!Array.isArray(config.brokers) || config.brokers.length === 0) return;
  const results = await Promise.all(
    config.brokers.map((broker) => probeBroker({ ...config, logCreator, brokers: [broker] })),
  );
  const failures = results.filter((result) => result !== undefined);
  if (failures.length === results.length && failures.every(isUnopened)) throw failures[failures.length - 1];
}

/** Undefined when the broker accepted a connection, else kafkajs's error. */
async function probeBroker(config: KafkaConfig): Promise<unknown> {
  // No login: a refused one would be tried twice, and repeated SASL failures can lock an account.
  const admin = new Kafka({ ...config, sasl: undefined, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    return undefined;
  } catch (error) {
    return error ?? new Error('connect failed');
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
