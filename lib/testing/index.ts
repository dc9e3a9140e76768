/**
 * rxkafka/testing: a real Kafka for tests and demos (KAFKA_BROKERS, testcontainers, or Apache Kafka's
 * Maven Central jars on the local JDK).
 */
export { startLocalKafka } from './local-kafka';
export type {
  LocalKafka,
  LocalKafkaClientConfig,
  LocalKafkaCredentials,
  LocalKafkaOptions,
  LocalKafkaProvider,
  LocalKafkaSecurity,
  LocalKafkaSecurityProtocol,
} from './local-kafka';
export { waitForKafka } from './wait-for-kafka';
export type { WaitForKafkaOptions } from './wait-for-kafka';
export { DEFAULT_KAFKA_VERSION, resolveKafkaCacheDir } from './kafka-classpath';
