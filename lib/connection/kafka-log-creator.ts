import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../logger';

/**
 * kafkajs's table of Kafka protocol errors (src/protocol/error.js). kafkajs 2.2.4 is the last release and
 * has no `exports` map, so the file is reachable; it is read once, here only.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { errorCodes } = require('kafkajs/src/protocol/error') as {
  errorCodes: ReadonlyArray<{ type: string; message: string; retriable: boolean }>;
};

/** The text kafkajs logs for each protocol error it retries by itself (COORDINATOR_NOT_AVAILABLE, …). */
const RETRIABLE_PROTOCOL_MESSAGES: ReadonlySet<string> = new Set(
  errorCodes.filter((entry) => entry.retriable).map((entry) => entry.message),
);

/**
 * Routes kafkajs's own logs through rxkafka's logger (NestJS does the same with its `KafkaLogger`), so an
 * application has one place to configure and silence logging. kafkajs's namespace becomes a field.
 *
 * kafkajs logs at ERROR what it is about to retry: every Kafka error response ("Response GroupCoordinator
 * … The group coordinator is not available", seen on each first start against a fresh broker, while the
 * offsets topic is created) and every lost socket. Those go out at debug (a retriable error response) and
 * warn (a connection error: kafkajs reconnects); what kafkajs finally gives up on reaches the application
 * as an error of rxkafka's own.
 */
export function createKafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const entry = isSaslExchange(message) ? redactSaslExchange(namespace, fields) : { namespace, ...fields };
      if (level === logLevel.ERROR) logError(logger, message, entry);
      else if (level === logLevel.WARN) logger.warn(message, entry);
      else if (level === logLevel.INFO) logger.info(message, entry);
      else logger.debug(message, entry);
    };
}

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
  if (isRetriedResponse(message, entry)) logger.debug(message, entry);
  else if (isRetriedConnectionError(message, entry)) logger.warn(message, entry);
  else logger.error(message, entry);
}

// network/connection.js: `Response ${apiName}(key, version)` with the protocol error's text in `error`.
function isRetriedResponse(message: string, entry: Record<string, unknown>): boolean {
  return (
    entry.namespace === 'Connection' &&
    message.startsWith('Response ') &&
    typeof entry.error === 'string' &&
    RETRIABLE_PROTOCOL_MESSAGES.has(entry.error)
  );
}

// network/connection.js: 'Connection error: …' and 'Connection timeout'; the broker pool reconnects.
function isRetriedConnectionError(message: string, entry: Record<string, unknown>): boolean {
  return entry.namespace === 'Connection' && message.startsWith('Connection ');
}
