/**
 * Typed errors with stable codes.
 *
 * Every error rxkafka raises is an `RxKafkaError` carrying one code from `RxKafkaErrorCode`. Codes are
 * the stable contract: messages may be reworded, codes never change meaning. `retriable` tells whether
 * the same call may succeed later without a change by the caller.
 */

/** Every code rxkafka raises. Each one is documented in `ERROR_CODES` below (a spec checks it). */
export type RxKafkaErrorCode =
  | 'RXK_INVALID_OPTIONS'
  | 'RXK_NOT_CONNECTED'
  | 'RXK_NO_REPLY_PARTITION'
  | 'RXK_PRODUCER_ONLY_MODE'
  | 'RXK_REQUEST_TIMEOUT'
  | 'RXK_PENDING_LIMIT'
  | 'RXK_CONNECTION_CLOSED'
  | 'RXK_REMOTE_ERROR'
  | 'RXK_SEND_FAILED'
  | 'RXK_HANDLER_TIMEOUT'
  | 'RXK_BROKER_SETUP'
  | 'RXK_BROKER_UNREACHABLE'
  | 'RXK_ACTOR_NOT_PROVIDED'
  | 'RXK_AUTHENTICATION_FAILED'
  | 'RXK_TLS_FAILED'
  | 'RXK_NOT_AUTHORIZED'
  | 'RXK_TOPIC_NOT_FOUND'
  | 'RXK_ALREADY_SUBSCRIBED'
  | 'RXK_STREAM_OVERFLOW'
  | 'RXK_PRODUCER_FENCED'
  | 'RXK_TRANSFORM_FAILED'
  | 'RXK_PROJECTION_CLOSED'
  | 'RXK_PROJECTION_TIMEOUT'
  | 'RXK_REDUCER_FAILED'
  | 'RXK_CREATE_TOPICS_FAILED'
  | 'RXK_RETRY_RECORD_INVALID';

/** What each code means and what to do about it. */
export const ERROR_CODES: Readonly<Record<RxKafkaErrorCode, string>> = Object.freeze({
  RXK_INVALID_OPTIONS: 'An option failed validation; the message names its path and the fix.',
  RXK_NOT_CONNECTED:
    "The call needs a connection: await connect() first (or the connection was closed). After a connect that failed for a reason rxkafka does not recognise, `cause` is the library's error: fix it and connect again.",
  RXK_NO_REPLY_PARTITION:
    'No partition of the reply topic is assigned to this client: call subscribeToResponseOf() before connect(), and give the reply topic at least as many partitions as client instances.',
  RXK_PRODUCER_ONLY_MODE: 'send() needs a reply consumer, which producerOnlyMode turns off.',
  RXK_REQUEST_TIMEOUT: 'No reply (or no final reply) arrived within the request timeout.',
  RXK_PENDING_LIMIT: 'Too many requests are waiting for replies; raise maxPendingRequests or slow down.',
  RXK_CONNECTION_CLOSED: 'The client was closed while the request was waiting for its reply.',
  RXK_REMOTE_ERROR:
    'The remote handler answered with an error (the kafka_nest-err header); `response` holds it.',
  RXK_SEND_FAILED: 'The producer could not write the record to Kafka.',
  RXK_HANDLER_TIMEOUT:
    'A handler produced nothing within handlerTimeoutMs; it was cut off and the request got an error reply.',
  RXK_BROKER_SETUP: 'The local test broker could not be installed or started (Java, Maven, ports).',
  RXK_BROKER_UNREACHABLE:
    'No broker answered at the addresses tried (client.brokers, or KAFKA_BROKERS for the test broker): check the host and port of a listener this process can reach, and that the broker is running. Retriable: a first connect() or listen() gives up after connectTimeoutMs; a connection that has served keeps retrying.',
  RXK_ACTOR_NOT_PROVIDED:
    'The connection machine ran an I/O actor (connectKafka, drainKafka) that was never bound: bind it with connectionMachine.provide({ actors }), as KafkaConnection does.',
  RXK_AUTHENTICATION_FAILED:
    'The broker refused the SASL login (mechanism, username, password), or (likely, retriable) closed every TLS connection of a client without client.sasl. Check client.sasl against the users the cluster knows.',
  RXK_TLS_FAILED:
    'The TLS connection to the broker failed: its certificate is not trusted (client.ssl.ca) or does not name the broker address (not retriable), or (likely, retriable) the two sides disagree on TLS: client.ssl against a plaintext listener, or none against a TLS one.',
  RXK_NOT_AUTHORIZED:
    "The broker's authorizer refused this client's principal (its SASL user) access to a topic, a consumer group, a transactional id or the cluster (Kafka TOPIC_, GROUP_, TRANSACTIONAL_ID_ or CLUSTER_AUTHORIZATION_FAILED). The error names the resource and the principal: grant the ACL (kafka-acls --add --allow-principal User:<name> …) or connect as a user that has it. Not retried.",
  RXK_TOPIC_NOT_FOUND:
    "A topic to consume does not exist on the cluster (a server's request or event topic, a client's reply topic, a consume() or replay() topic); the message names it. rxkafka never creates topics: create it (for example with rxkafka's createTopics() or kafka-topics.sh --create), then connect again. Retriable, since the topic may be created meanwhile, but a first connect() or listen() fails at once.",
  RXK_ALREADY_SUBSCRIBED:
    'A consume() stream is one group member at a time: subscribe again once the previous subscription ended, or call consume() once per member.',
  RXK_STREAM_OVERFLOW:
    "A key-ordered operator (mergeMapByKey, concatMapByKey) held more records waiting than its maxBuffered bound: lower consume()'s bufferSize, raise the concurrency, or raise maxBuffered.",
  RXK_PRODUCER_FENCED:
    'A newer transactional producer with the same transactional id took over (Kafka INVALID_PRODUCER_EPOCH or PRODUCER_FENCED): this one can no longer commit, and its open transaction was aborted. Expected when a partition moved to another member (a paused or partitioned process); otherwise two processes share a transactional id prefix.',
  RXK_TRANSFORM_FAILED:
    "An exactly-once transform threw (or its Promise or Observable failed) on a record: the record is not committed. Without a deadLetterTopic the processor stops at it; with one, the record goes there in the same transaction. A server's `@EventPattern(topic, { exactlyOnce: true })` handler that failed for good is logged with this code, and its record is dead-lettered (or skipped) in its transaction.",
  RXK_PROJECTION_CLOSED:
    'The projection was closed (or failed) before it applied the offsets waitFor() was waiting for.',
  RXK_PROJECTION_TIMEOUT:
    'waitFor() gave up: the projection had not applied the offsets within its timeout (is the projection lagging, or were the offsets from another topic?).',
  RXK_REDUCER_FAILED:
    "The projection's reducer threw on a record; the projection stopped there (state$ errors with this error, whose cause is the reducer's). Fix the reducer or the record, then start the projection again.",
  RXK_CREATE_TOPICS_FAILED:
    "createTopics() could not make its topics ready: the cluster refused one (the message names it, with Kafka's reason and the fix: a replication factor above the broker count, a bad config, no permission), a partition had no serving leader within timeoutMs (retriable), or an admin request failed otherwise (the cause says why).",
  RXK_RETRY_RECORD_INVALID:
    "A record on a retry topic (retryTopics) carried no usable attempt number, or one that does not match its retry topic, or named no handler of that topic: it was sent to the dead-letter topic with this error's message as the reason.",
});

/** Fields that locate an error in the Kafka world; all optional, all read-only. */
export interface RxKafkaErrorContext {
  readonly topic?: string;
  readonly partition?: number;
  readonly correlationId?: string;
  readonly state?: string;
  readonly path?: string;
}

export interface RxKafkaErrorOptions extends RxKafkaErrorContext {
  readonly cause?: unknown;
  readonly retriable?: boolean;
}

const BRAND = Symbol.for('rxkafka.error');

/** The base class of every error rxkafka raises. */
export class RxKafkaError extends Error {
  readonly code: RxKafkaErrorCode;
  readonly retriable: boolean;
  readonly context: RxKafkaErrorContext;
  readonly [BRAND] = true;

  constructor(code: RxKafkaErrorCode, message: string, options: RxKafkaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const { cause: _cause, retriable = false, ...context } = options;
    this.name = 'RxKafkaError';
    this.code = code;
    this.retriable = retriable;
    this.context = Object.freeze(context);
  }

  /** True for errors from any copy of rxkafka (duplicated installs break `instanceof`). */
  static isRxKafkaError(value: unknown): value is RxKafkaError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** A request got no (final) reply in time. */
export class RequestTimeoutError extends RxKafkaError {
  readonly timeoutMs: number;
  constructor(message: string, options: RxKafkaErrorOptions & { timeoutMs: number }) {
    const { timeoutMs, ...rest } = options;
    super('RXK_REQUEST_TIMEOUT', message, { retriable: true, ...rest });
    this.name = 'RequestTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The remote handler replied with an error. `response` is the decoded `kafka_nest-err` header exactly as a
 * NestJS client would see it: usually `{ status: 'error', message }` or the object given to `RpcException`.
 */
export class RemoteError extends RxKafkaError {
  readonly response: unknown;
  constructor(response: unknown, options: RxKafkaErrorOptions = {}) {
    super('RXK_REMOTE_ERROR', `remote handler failed: ${describeRemoteError(response)}`, options);
    this.name = 'RemoteError';
    this.response = response;
  }
}

function describeRemoteError(response: unknown): string {
  if (typeof response === 'string') return response;
  if (typeof response === 'object' && response !== null && 'message' in response) {
    return String((response as { message: unknown }).message);
  }
  try {
    return JSON.stringify(response) ?? String(response);
  } catch {
    return Object.prototype.toString.call(response);
  }
}

/** What Kafka's authorizer refused: a topic, a consumer group, a transactional id, or the cluster itself. */
export type AuthorizationResourceType = 'topic' | 'group' | 'transactionalId' | 'cluster';

/**
 * The broker's authorizer refused the client's principal access to a resource (`RXK_NOT_AUTHORIZED`, never
 * retriable: the same request is refused until an ACL changes). `resourceName` is undefined for the
 * cluster, and when Kafka did not say which of several topics it refused (the message then lists them).
 */
export class NotAuthorizedError extends RxKafkaError {
  readonly resourceType: AuthorizationResourceType;
  readonly resourceName: string | undefined;
  /** The principal refused, as Kafka's ACLs name it (`User:<SASL username>`); never a password. */
  readonly principal: string;

  constructor(
    message: string,
    options: RxKafkaErrorOptions & {
      resourceType: AuthorizationResourceType;
      resourceName: string | undefined;
      principal: string;
    },
  ) {
    const { resourceType, resourceName, principal, ...rest } = options;
    super('RXK_NOT_AUTHORIZED', message, { ...rest, retriable: false });
    this.name = 'NotAuthorizedError';
    this.resourceType = resourceType;
    this.resourceName = resourceName;
    this.principal = principal;
  }
}
