import type { KafkaConfig } from 'kafkajs';
import { Kafka, logLevel } from '../kafka/kafkajs/kafkajs-library';
import { RxKafkaError } from '../errors';

export interface WaitForKafkaOptions {
  readonly timeoutMs: number;
  /** Resolve only once this many brokers are in the cluster metadata. */
  readonly expectedBrokers?: number;
  /** kafkajs TLS settings, for a TLS listener (e.g. `{ ca: [caPem] }`). @defaultValue none: plaintext */
  readonly ssl?: KafkaConfig['ssl'];
  /** kafkajs SASL settings, for a listener that authenticates clients. @defaultValue none: no authentication */
  readonly sasl?: KafkaConfig['sasl'];
}

/**
 * Polls the cluster through the admin API until it answers with the expected brokers and a controller; with
 * `ssl`/`sasl` the admin connects like a client of a secured listener would, so readiness includes TLS and login.
 * Rejects with RXK_BROKER_UNREACHABLE (naming the brokers and the last error) when the deadline passes.
 */
export async function waitForKafka(brokers: readonly string[], options: WaitForKafkaOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const kafka = new Kafka({
    clientId: 'rxkafka-readiness',
    brokers: [...brokers],
    ssl: options.ssl,
    sasl: options.sasl,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
  let lastError: unknown;
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.controller !== null && cluster.brokers.length >= (options.expectedBrokers ?? 1)) return;
      lastError = new Error(
        `cluster has ${cluster.brokers.length} brokers, controller ${cluster.controller}`,
      );
    } catch (error) {
      lastError = error;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new RxKafkaError(
    'RXK_BROKER_UNREACHABLE',
    `Kafka at ${brokers.join(',')} did not answer within ${options.timeoutMs} ms (last error: ${reason}). ` +
      'Check that the brokers run and that the addresses (KAFKA_BROKERS) are right.',
    { cause: lastError, retriable: true },
  );
}
