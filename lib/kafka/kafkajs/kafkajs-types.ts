/**
 * The kafkajs types rxkafka's public API exposes as NestJS's does: the objects `KafkaContext.getConsumer()`,
 * `getProducer()` and `unwrap()` return, and the kafkajs configs the options pass on. The runtime itself
 * works on rxkafka's own types (lib/kafka/); these are for users who reach for kafkajs.
 */
export type {
  Admin,
  BrokersFunction,
  EachBatchPayload,
  KafkaMessage,
  Consumer,
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopics,
  Kafka,
  KafkaConfig,
  Producer,
  ProducerConfig,
  ProducerRecord,
  TopicPartitionOffsetAndMetadata,
} from 'kafkajs';
