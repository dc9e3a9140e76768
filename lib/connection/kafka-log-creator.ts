import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../logger';

/**
 * Routes kafkajs's own logs through rxkafka's logger (NestJS does the same with its `KafkaLogger`), so an
 * application has one place to configure and silence logging. kafkajs's namespace becomes a field.
 */
export function createKafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const entry = { namespace, ...fields };
      if (level === logLevel.ERROR) logger.error(message, entry);
      else if (level === logLevel.WARN) logger.warn(message, entry);
      else if (level === logLevel.INFO) logger.info(message, entry);
      else logger.debug(message, entry);
    };
}
