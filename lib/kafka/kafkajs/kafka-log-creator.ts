import type { logCreator } from 'kafkajs';
import { logLevel } from './kafkajs-library';
import type { Logger } from '../../logger';

/**
 * kafkajs's table of Kafka protocol errors (src/protocol/error.js). kafkajs 2.2.4 is the last release and
 * has no `exports` map, so the file is reachable; it is read once, here only.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { errorCodes } = require('kafkajs/src/protocol/error') as {
  errorCodes: ReadonlyArray<{ type: string; message: string; retriable: boolean }>;
};

/**
 * Error responses that are part of a healthy group's life: a fresh broker creating its offsets topic, a
 * coordinator or leader moving, a rebalance answering the heartbeats that signal it. kafkajs retries or
 * rejoins on each by itself.
 */
const ROUTINE_RESPONSE_ERRORS: ReadonlySet<string> = new Set([
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'GROUP_LOAD_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'REBALANCE_IN_PROGRESS',
  // Every transaction after the first meets it while the coordinator completes the previous one
  // (kafkajs #430, #1068; see transactional-retry-defaults.ts): kafkajs retries the send, rxkafka sendOffsets.
  'CONCURRENT_TRANSACTIONS',
]);

/** The text kafkajs logs for each error response, by what it means to a reader. */
const ROUTINE_MESSAGES = messagesOf((entry) => ROUTINE_RESPONSE_ERRORS.has(entry.type));
const RETRIED_MESSAGES = messagesOf((entry) => entry.retriable && !ROUTINE_RESPONSE_ERRORS.has(entry.type));

function messagesOf(keep: (entry: (typeof errorCodes)[number]) => boolean): ReadonlySet<string> {
  return new Set(errorCodes.filter(keep).map((entry) => entry.message));
}

/**
 * Routes kafkajs's own logs through rxkafka's logger (NestJS does the same with its `KafkaLogger`), so an
 * application has one place to configure and silence logging. kafkajs's namespace becomes a field.
 *
 * kafkajs logs every Kafka error response at ERROR, also those it handles itself. Routine ones ("The group
 * coordinator is not available" on each first start against a fresh broker, "The group is rebalancing" on
 * every rebalance) go out at debug; other retriable ones (a full disk, a missing listener) and lost sockets
 * at warn, so they stay visible; what kafkajs finally gives up on reaches the application as an error.
 * A connection that could not be opened (refused, timed out, an unknown host) goes out at debug: kafkajs
 * logs it twice per retry, with a stack, and the connect attempt it fails is reported once, by the
 * connection (a warn per retried attempt) or by connect()'s rejection.
 */
export function createKafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const entry = isSaslExchange(message)
        ? redactSaslExchange(namespace, fields)
        : { namespace, ...fields };
      if (level === logLevel.ERROR) logError(logger, message, entry);
      else if (level === logLevel.WARN && ROUTINE_WARNINGS.has(message)) logger.debug(message, entry);
      else if (level === logLevel.WARN) logger.warn(message, entry);
      else if (level === logLevel.INFO) logger.info(message, entry);
      else logger.debug(message, entry);
    };
}

// kafkajs's Runner warns at every rebalance it takes part in (consumer/runner.js): the connection's own
// `rebalancing` transition already says so.
const ROUTINE_WARNINGS: ReadonlySet<string> = new Set(['The group is rebalancing, re-joining']);

// At debug, kafkajs logs every response's decoded body (network/connection.js `data`) and, on a failed
// decode, its raw bytes (`payload`): for SaslAuthenticate and SaslHandshake those are the SASL exchange.
function isSaslExchange(message: string): boolean {
  return message.startsWith('Response Sasl') || message.startsWith('Request Sasl');
}

function redactSaslExchange(namespace: string, fields: Record<string, unknown>): Record<string, unknown> {
  const { data: _data, payload: _payload, ...rest } = fields;
  return { namespace, ...rest, data: '[SASL exchange not logged]' };
}

function logError(logger: Logger, message: string, entry: Record<string, unknown>): void {
  const response = readResponseError(message, entry) ?? readRetriedSendError(message, entry);
  if (response !== undefined && ROUTINE_MESSAGES.has(response)) logger.debug(message, entry);
  else if (response !== undefined && RETRIED_MESSAGES.has(response)) logger.warn(message, entry);
  else if (isUnopenedConnection(message, entry)) logger.debug(message, entry);
  else if (isRetriedConnectionError(message, entry)) logger.warn(message, entry);
  else logger.error(message, entry);
}

// network/connection.js: `Response ${apiName}(key, version)` with the protocol error's text in `error`.
function readResponseError(message: string, entry: Record<string, unknown>): string | undefined {
  const isResponse = entry.namespace === 'Connection' && message.startsWith('Response ');
  return isResponse && typeof entry.error === 'string' ? entry.error : undefined;
}

// producer/sendMessages.js logs `Failed to send messages: ${error.message}` before each retry of a send.
const RETRIED_SEND = 'Failed to send messages: ';

function readRetriedSendError(message: string, entry: Record<string, unknown>): string | undefined {
  const isRetriedSend = entry.namespace === 'Producer' && message.startsWith(RETRIED_SEND);
  return isRetriedSend ? message.slice(RETRIED_SEND.length) : undefined;
}

// network/connection.js when a socket could not be opened: 'Connection error: connect ECONNREFUSED …',
// 'Connection error: getaddrinfo ENOTFOUND …', 'Connection timeout'; and cluster/brokerPool.js moving to
// the next seed broker because of one of them.
const UNOPENED_CONNECTION =
  /^(?:(?:Failed to connect to seed broker, trying another broker from the list: )?Connection (?:error: (?:connect E|getaddrinfo E)|timeout$))/;

function isUnopenedConnection(message: string, entry: Record<string, unknown>): boolean {
  return (
    (entry.namespace === 'Connection' || entry.namespace === 'BrokerPool') &&
    UNOPENED_CONNECTION.test(message)
  );
}

// network/connection.js 'Connection error: …' / 'Connection timeout', and cluster/brokerPool.js trying the
// next seed broker: the broker pool reconnects by itself.
function isRetriedConnectionError(message: string, entry: Record<string, unknown>): boolean {
  return (
    (entry.namespace === 'Connection' && message.startsWith('Connection ')) ||
    (entry.namespace === 'BrokerPool' && message.startsWith('Failed to connect to seed broker'))
  );
}
