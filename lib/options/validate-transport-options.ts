import {
  checkBoolean,
  checkDuration,
  checkKnownKeys,
  checkMethods,
  checkObject,
  checkPositiveInteger,
  checkString,
  describeReceived,
  failOption,
  isObject,
  throwInvalidOption,
} from './option-checks';
import { checkShape } from './check-shape';
import { checkDriver } from './create-driver';
import { checkGroupProtocol } from './group-protocol';
import { TRANSPORT_CONFIG_SHAPES } from './kafka-config-keys';
import type { KafkaTransportOptions } from './transport-options';

/** kafkajs's consumer defaults, needed to check the heartbeat rule when only one side is given. */
const KAFKAJS_SESSION_TIMEOUT_MS = 30_000;
const KAFKAJS_HEARTBEAT_INTERVAL_MS = 3_000;

// kafkajs splits a broker address on ':' (cluster/connectionPoolBuilder.js), so a host may not contain one.
const BROKER_ADDRESS = /^([^\s:]+):(\d{1,5})$/;

/** Validates the options server and client share; throws RXK_INVALID_OPTIONS at the first problem. */
export function validateTransportOptions(options: KafkaTransportOptions): void {
  for (const key of ['client', 'consumer', 'run', 'subscribe', 'producer', 'send', 'parser'] as const) {
    checkObject(key, options[key]);
  }
  for (const [key, shape] of Object.entries(TRANSPORT_CONFIG_SHAPES)) {
    checkShape(key, options[key as keyof typeof TRANSPORT_CONFIG_SHAPES], shape);
  }
  validateClient(options.client ?? {});
  validateConsumer(options.consumer ?? {});
  validateRun(options.run ?? {});
  validateSubscribe(options.subscribe ?? {});
  validateSend(options);
  checkString('postfixId', options.postfixId, { fix: "pass a suffix such as '-orders', or '' for none" });
  checkKnownKeys('parser', options.parser ?? {}, ['keepBinary']);
  checkBoolean('parser.keepBinary', options.parser?.keepBinary);
  checkDuration('connectTimeoutMs', options.connectTimeoutMs, 'no time limit (5 attempts)');
  checkMethods('serializer', options.serializer, ['serialize']);
  checkMethods('deserializer', options.deserializer, ['deserialize']);
  checkMethods('logger', options.logger, ['debug', 'info', 'warn', 'error']);
  checkDriver('driver', options.driver);
  checkGroupProtocol('groupProtocol', options.groupProtocol, options.driver);
}

function validateClient(client: NonNullable<KafkaTransportOptions['client']>): void {
  checkBrokers(client.brokers);
  checkString('client.clientId', client.clientId, { fix: "e.g. clientId: 'orders'" });
}

function checkBrokers(brokers: unknown): void {
  // kafkajs accepts a function that returns the brokers (discovery); it is called at connect time.
  if (brokers === undefined || typeof brokers === 'function') return;
  if (!Array.isArray(brokers) || brokers.length === 0) {
    failOption(
      'client.brokers',
      "a non-empty array of 'host:port' strings or a function returning one",
      brokers,
      "e.g. brokers: ['localhost:9092'], or leave it out for that default",
    );
  }
  brokers.forEach((broker: unknown, index: number) => {
    const match = typeof broker === 'string' ? BROKER_ADDRESS.exec(broker) : null;
    const port = match ? Number(match[2]) : 0;
    if (port < 1 || port > 65_535) {
      failOption(
        `client.brokers[${index}]`,
        "'host:port' with a port from 1 to 65535 (a host without ':', as kafkajs splits on it)",
        broker,
        "e.g. 'localhost:9092'",
      );
    }
  });
}

function validateConsumer(consumer: NonNullable<KafkaTransportOptions['consumer']>): void {
  checkString('consumer.groupId', consumer.groupId, {
    nonEmpty: true,
    fix: "e.g. groupId: 'orders', or leave it out for 'nestjs-group'",
  });
  checkPositiveInteger('consumer.sessionTimeout', consumer.sessionTimeout, KAFKAJS_SESSION_TIMEOUT_MS);
  checkPositiveInteger(
    'consumer.heartbeatInterval',
    consumer.heartbeatInterval,
    KAFKAJS_HEARTBEAT_INTERVAL_MS,
  );
  checkPositiveInteger('consumer.rebalanceTimeout', consumer.rebalanceTimeout, 60_000);
  const assigners: unknown = consumer.partitionAssigners;
  if (
    assigners !== undefined &&
    (!Array.isArray(assigners) || assigners.some((item) => typeof item !== 'function'))
  ) {
    failOption(
      'consumer.partitionAssigners',
      'an array of kafkajs assigner functions',
      assigners,
      'e.g. partitionAssigners: [PartitionAssigners.roundRobin], or leave it out',
    );
  }
  checkHeartbeatBelowSessionTimeout(consumer);
}

/** The broker evicts a member that sends no heartbeat within the session timeout. */
function checkHeartbeatBelowSessionTimeout(consumer: NonNullable<KafkaTransportOptions['consumer']>): void {
  const sessionTimeout = consumer.sessionTimeout ?? KAFKAJS_SESSION_TIMEOUT_MS;
  const heartbeatInterval = consumer.heartbeatInterval ?? KAFKAJS_HEARTBEAT_INTERVAL_MS;
  if (heartbeatInterval < sessionTimeout) return;
  const path =
    consumer.heartbeatInterval === undefined ? 'consumer.sessionTimeout' : 'consumer.heartbeatInterval';
  throwInvalidOption(
    path,
    `option consumer.heartbeatInterval (${heartbeatInterval}${consumer.heartbeatInterval === undefined ? ', the kafkajs default' : ''}) ` +
      `must be below consumer.sessionTimeout (${sessionTimeout}${consumer.sessionTimeout === undefined ? ', the kafkajs default' : ''}), ` +
      'or the broker evicts the member between two heartbeats: set heartbeatInterval to at most a third of ' +
      `sessionTimeout (e.g. heartbeatInterval: ${Math.max(1, Math.floor(sessionTimeout / 3))})`,
  );
}

function validateRun(run: NonNullable<KafkaTransportOptions['run']>): void {
  for (const handlerKey of ['eachMessage', 'eachBatch']) {
    if (handlerKey in run) {
      throwInvalidOption(
        `run.${handlerKey}`,
        `option run.${handlerKey} is not allowed, got ${describeReceived((run as Record<string, unknown>)[handlerKey])}: ` +
          'rxkafka consumes the records itself; declare handlers with @MessagePattern/@EventPattern instead',
      );
    }
  }
  checkPositiveInteger('run.partitionsConsumedConcurrently', run.partitionsConsumedConcurrently, 16);
  checkBoolean('run.autoCommit', run.autoCommit);
  checkBoolean('run.eachBatchAutoResolve', run.eachBatchAutoResolve);
  for (const key of ['autoCommitInterval', 'autoCommitThreshold'] as const) {
    const value = run[key];
    // kafkajs uses null (its default) and 0 alike for "no interval/threshold".
    if (
      value !== undefined &&
      value !== null &&
      (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    ) {
      failOption(
        `run.${key}`,
        'a whole number of at least 0, or null',
        value,
        `e.g. ${key}: 5000, or leave it out`,
      );
    }
  }
}

function validateSubscribe(subscribe: NonNullable<KafkaTransportOptions['subscribe']>): void {
  for (const topicsKey of ['topics', 'topic']) {
    if (topicsKey in subscribe) {
      throwInvalidOption(
        `subscribe.${topicsKey}`,
        `option subscribe.${topicsKey} is not allowed: rxkafka subscribes to the topics its handlers (server) or ` +
          'subscribeToResponseOf() calls (client) name; remove it',
      );
    }
  }
  checkBoolean('subscribe.fromBeginning', subscribe.fromBeginning);
}

function validateSend(options: KafkaTransportOptions): void {
  const acks: unknown = options.send?.acks;
  if (acks !== undefined && acks !== -1 && acks !== 0 && acks !== 1) {
    failOption(
      'send.acks',
      '-1 (all in-sync replicas), 0 or 1',
      acks,
      'use -1 unless losing records is acceptable',
    );
  }
  checkPositiveInteger('send.timeout', options.send?.timeout, 30_000);
  const producer = options.producer;
  // kafkajs accepts this producer but then rejects every send() (producer/messageProducer.js).
  if (isObject(producer) && producer.idempotent === true && acks !== undefined && acks !== -1) {
    throwInvalidOption(
      'send.acks',
      `option send.acks must be -1 when producer.idempotent is true, got ${describeReceived(acks)}: ` +
        'an idempotent producer needs every in-sync replica to acknowledge; remove send.acks or set it to -1',
    );
  }
}
