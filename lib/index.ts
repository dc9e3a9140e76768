/**
 * rxkafka's public API. Everything a user imports is named here; the folders below are internal.
 */
import 'reflect-metadata';

// Server
export { KafkaServer, createMicroservice } from './server/kafka-server';
export type { CloseOptions, DrainReport, ServerStats } from './server/kafka-server';
export type { RetryCount } from './pipeline/retry-forwarding';
export type { RetryWaiting, RetryWaitingPartition } from './pipeline/retry-waiting';
export { KafkaContext } from './handlers/kafka-context';
export type { RetryPolicy } from './handlers/retry-policy';
export { DeadLetterHeaders, toDeadLetterTopic } from './pipeline/dead-letter';
export type { SkipCommand } from './pipeline/skip-record';
export { toRetryTopic, type RetryTopicsOptions } from './handlers/retry-topics-options';
export { RetryHeaders } from './pipeline/retry-headers';
// A server's handlers from elsewhere than an inversify container (rxkafka/nestjs uses a NestJS app's).
// NestJS itself is an optional peer dependency: RxKafkaStrategy and RxKafkaClientProxy live in the
// `rxkafka/nestjs` subpath, so this entry point never loads @nestjs/*.
export type { HandlerSource } from './handlers/handler-source';
export type { HandlerDescriptor, HandlerTopics } from './handlers/handler-registry';

// Client
export { KafkaClient } from './client/kafka-client';
export type { SendOptions } from './client/kafka-client';

// Topics
export { createTopics } from './admin/create-topics';
export type { CreatedTopics } from './admin/create-topics';
export type { CreateTopicsOptions, NewTopic } from './admin/create-topics-options';

// Streams
export { consume, RecordStream } from './streams/record-stream';
export type { Committable, CommittableRecord, RetryOutcome } from './streams/committable-record';
export type { ConsumeOptions, RecordDecoder, RecordToDecode } from './streams/consume-options';
export type { StreamReport, StreamStopReason } from './streams/stream-report';
export { commitAfter } from './streams/commit-after';
export type { CommitTarget } from './streams/commit-after';
export { mergeMapByKey } from './streams/merge-map-by-key';
export type { MergeMapByKeyOptions } from './streams/merge-map-by-key';
export { concatMapByKey } from './streams/concat-map-by-key';
export type { ConcatMapByKeyOptions } from './streams/concat-map-by-key';
export { produceTo } from './streams/produce-to';
export type { ProducedRecord, ProduceToOptions } from './streams/produce-to';
export { createProducer, StreamProducer } from './streams/stream-producer';
export type { StreamProducerOptions } from './streams/stream-producer';
export type { WrittenOffset } from './connection/written-offsets';

// Handlers
export { Controller, registerControllers } from './handlers/controller';
export { MessagePattern } from './handlers/message-pattern';
export { EventPattern } from './handlers/event-pattern';
export { Payload, Ctx } from './handlers/param-decorators';
export { RpcException, KafkaRetriableException } from './handlers/rpc-exception';
export type { HandlerOptions } from './handlers/handler-options';

// Exactly-once
export { ExactlyOnceProcessor, processExactlyOnce } from './exactly-once/exactly-once-processor';
export type { ExactlyOnceReport } from './exactly-once/exactly-once-processor';
export type { ExactlyOnceOptions } from './exactly-once/exactly-once-options';
export type { ExactlyOnceOutput, TransformResult } from './exactly-once/transform-outputs';
export type { ExactlyOnceStats, TransactionCommitted } from './exactly-once/exactly-once-settings';
// The server's `@EventPattern(topic, { exactlyOnce: true })` handlers: their group and transactions.
export type { ServerExactlyOnceOptions } from './options';

// Connection actor
export { KafkaConnection } from './connection/kafka-connection';
export type {
  Assignment,
  CommandOutcome,
  ConsumedRecord,
  DispatchMode,
  PartitionCommand,
  PartitionView,
} from './connection/kafka-connection';
export type { PartitionContext, PartitionStateValue } from './connection/partition-machine';
export type { PendingRequestsSummary, RequestOutcome } from './client/pending-requests';
export { connectionMachine } from './connection/connection-machine';
export type { ConnectionStateValue } from './connection/connection-machine';
export type { ConnectionStatus } from './connection/connection-status';
export type { ConnectionTransition } from './connection/inspection';
export type { DrainMode } from './connection/connection-events';

// Diagnostics channels (node:diagnostics_channel): the event catalog
export { DIAGNOSTICS_CHANNELS } from './diagnostics/diagnostics-channels';
export type {
  BatchEndPayload,
  BatchRecordsPayload,
  BatchStartPayload,
  ConnectionIdentity,
  ConnectionTransitionPayload,
  DiagnosticsChannelName,
  DeadLetterSentPayload,
  RecordSkippedPayload,
  DeadLettersRedrivenPayload,
  DiagnosticsPayloads,
  HandlerEndPayload,
  HandlerErrorPayload,
  HandlerRetryPayload,
  HandlerStartPayload,
  OffsetsCommittedPayload,
  PartitionTransitionPayload,
  ReplyProducedPayload,
  RequestSentPayload,
  RequestSettledPayload,
  RetryDeadLetteredPayload,
  RetryForwardedPayload,
  RetryWaitingPayload,
} from './diagnostics/diagnostics-channels';

// The driver port, for a second Kafka client library or a fake one in tests (advanced)
export type {
  ConsumeSettings,
  ConsumerSettings,
  DriverConsumer,
  DriverConsumerEvent,
  DriverProducerEvent,
  DriverProducer,
  DriverTransaction,
  DriverTransactionalProducer,
  KafkaDriver,
  ProducerSettings,
  SendErrorKind,
  TransactionalProducerSettings,
} from './kafka/kafka-driver';
export type { FetchedBatch, TopicPartitionOffsets } from './kafka/fetched-batch';
export type { FetchedRecord, OutgoingRecord, RecordHeaders } from './kafka/kafka-record';
export type {
  ProduceRequest,
  ProduceSettings,
  RecordProducer,
  WrittenPartition,
} from './kafka/record-producer';

// Options
export type { KafkaClientOptions, KafkaServerOptions, KafkaTransportOptions } from './options';
export type { DriverOption } from './options/create-driver';

// Wire format
export { KafkaHeaders, NO_MESSAGE_HANDLER } from './wire/kafka-headers';
export { KafkaRequestSerializer } from './wire/serializer';
export type { Serializer } from './wire/serializer';
export { KafkaParser } from './wire/parser';
export type { IncomingMessage } from './wire/parser';
export { KafkaRequestDeserializer, KafkaResponseDeserializer } from './wire/deserializer';
export type { Deserializer, ReplyPacket, RequestPacket } from './wire/deserializer';

// Errors and logging
export { ERROR_CODES, NotAuthorizedError, RemoteError, RequestTimeoutError, RxKafkaError } from './errors';
export type { AuthorizationResourceType, RxKafkaErrorCode, RxKafkaErrorContext } from './errors';
export { createStreamLogger, fieldsFirstLogger, silentLogger } from './logger';
export type { FieldsFirstLogger, Logger, LogLevel } from './logger';

// Replay, re-driven dead letters and projections
export { Replay, replay } from './replay/replay';
export type { CaughtUp, ReplayRecord } from './replay/replay';
export type { ReplayFrom, ReplayOptions, ReplayUntil } from './replay/replay-options';
export { redriveDeadLetters } from './redrive/redrive-dead-letters';
export type { RedriveReport, SkippedDeadLetter } from './redrive/redrive-dead-letters';
export { toRedriveGroupId } from './redrive/redrive-options';
export type { DeadLetterRecord, RedriveOptions } from './redrive/redrive-options';
export { RedriveHeaders } from './redrive/redriven-record';
export type { RedriveSkipReason } from './redrive/redriven-record';
export { Projection, projection } from './projection/projection';
export type { Reducer, WaitForOptions } from './projection/projection';
export type { ProjectionOptions, SnapshotOptions } from './projection/projection-options';
export type { ProjectionSnapshot } from './projection/projection-snapshot';
export type { WrittenOffsets } from './projection/offset-waiters';
