import { expect } from 'chai';
import { logLevel, type LogEntry } from 'kafkajs';
import { createKafkaLogCreator } from '../../../lib/kafka/kafkajs/kafka-log-creator';
import type { Logger } from '../../../lib/logger';

type Line = [level: string, message: string, fields: Record<string, unknown> | undefined];

/** Feeds one kafkajs log entry through the creator and returns what reached rxkafka's logger. */
function route(level: logLevel, namespace: string, log: Record<string, unknown>): Line[] {
  const lines: Line[] = [];
  const logger: Logger = {
    debug: (message, fields) => void lines.push(['debug', message, fields]),
    info: (message, fields) => void lines.push(['info', message, fields]),
    warn: (message, fields) => void lines.push(['warn', message, fields]),
    error: (message, fields) => void lines.push(['error', message, fields]),
  };
  const entry = {
    namespace,
    level,
    label: logLevel[level],
    log: { timestamp: '2026-12-01T00:00:00.000Z', logger: 'kafkajs', message: '', ...log },
  } as LogEntry;
  createKafkaLogCreator(logger)(logLevel.DEBUG)(entry);
  return lines;
}

describe('createKafkaLogCreator()', () => {
  context(
    'with CONCURRENT_TRANSACTIONS, met by every transaction after the first (kafkajs #430, #1068)',
    () => {
      const concurrent =
        'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing';

      it('logs the error response and the send kafkajs retries at debug', () => {
        const [response] = route(logLevel.ERROR, 'Connection', {
          message: 'Response AddPartitionsToTxn(key: 24, version: 1)',
          error: concurrent,
        });
        const [send] = route(logLevel.ERROR, 'Producer', {
          message: `Failed to send messages: ${concurrent}`,
          retryCount: 0,
          retryTime: 21,
        });
        expect([response[0], send[0]]).to.deep.equal(['debug', 'debug']);
      });

      it('still logs a failed send for any other reason at error', () => {
        const [send] = route(logLevel.ERROR, 'Producer', {
          message: 'Failed to send messages: Producer attempted an operation with an old epoch',
          retryCount: 0,
        });
        expect(send[0]).to.equal('error');
      });
    },
  );

  it('passes the level, message and fields through, the namespace as a field', () => {
    expect(route(logLevel.INFO, 'Consumer', { message: 'Starting', groupId: 'g' })).to.deep.equal([
      ['info', 'Starting', { namespace: 'Consumer', groupId: 'g' }],
    ]);
    expect(route(logLevel.WARN, 'Runner', { message: 'w' })[0][0]).to.equal('warn');
    expect(route(logLevel.DEBUG, 'Runner', { message: 'd' })[0][0]).to.equal('debug');
  });

  it('logs a retriable error response (a fresh broker’s missing coordinator) at debug, not error', () => {
    const [line] = route(logLevel.ERROR, 'Connection', {
      message: 'Response GroupCoordinator(key: 10, version: 2)',
      error: 'The group coordinator is not available',
      correlationId: 2,
    });
    expect(line[0]).to.equal('debug');
    expect(line[2]).to.include({ error: 'The group coordinator is not available', correlationId: 2 });
  });

  it('logs the heartbeat answer of a rebalance (routine) at debug', () => {
    const [line] = route(logLevel.ERROR, 'Connection', {
      message: 'Response Heartbeat(key: 12, version: 3)',
      error: 'The group is rebalancing, so a rejoin is needed',
    });
    expect(line[0]).to.equal('debug');
  });

  it('logs the runner’s own rejoin notice at every rebalance at debug, other warnings at warn', () => {
    const [rejoin] = route(logLevel.WARN, 'Runner', {
      message: 'The group is rebalancing, re-joining',
      error: 'The group is rebalancing, so a rejoin is needed',
    });
    expect(rejoin[0]).to.equal('debug');
    const [other] = route(logLevel.WARN, 'Runner', { message: 'Something else went sideways' });
    expect(other[0]).to.equal('warn');
  });

  it('keeps other retriable error responses (a failed broker disk) visible at warn', () => {
    const [line] = route(logLevel.ERROR, 'Connection', {
      message: 'Response Produce(key: 0, version: 7)',
      error: 'Disk error when trying to access log file on the disk',
    });
    expect(line[0]).to.equal('warn');
  });

  it('logs the broker pool moving to the next seed broker at warn', () => {
    const [line] = route(logLevel.ERROR, 'BrokerPool', {
      message:
        'Failed to connect to seed broker, trying another broker from the list: Connection error: read ECONNRESET',
      retryCount: 0,
    });
    expect(line[0]).to.equal('warn');
  });

  it('logs a connection that could not be opened at debug: the failed connect attempt is reported once', () => {
    const lines = [
      ...route(logLevel.ERROR, 'Connection', {
        message: 'Connection error: connect ECONNREFUSED 127.0.0.1:1',
        stack: 'Error: connect ECONNREFUSED',
      }),
      ...route(logLevel.ERROR, 'Connection', { message: 'Connection timeout' }),
      ...route(logLevel.ERROR, 'Connection', { message: 'Connection error: getaddrinfo ENOTFOUND kafka' }),
      ...route(logLevel.ERROR, 'BrokerPool', {
        message: 'Failed to connect to seed broker, trying another broker from the list: Connection timeout',
        retryCount: 0,
      }),
      ...route(logLevel.ERROR, 'BrokerPool', {
        message:
          'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:1',
        retryCount: 1,
      }),
    ];
    expect(lines.map(([level]) => level)).to.deep.equal(['debug', 'debug', 'debug', 'debug', 'debug']);
  });

  it('keeps a non-retriable error response at error', () => {
    const [line] = route(logLevel.ERROR, 'Connection', {
      message: 'Response SaslAuthenticate(key: 36, version: 2)',
      error: 'Request is not valid given the current SASL state',
    });
    expect(line[0]).to.equal('error');
  });

  it('logs a lost socket, which kafkajs reconnects, at warn', () => {
    const [line] = route(logLevel.ERROR, 'Connection', {
      message: 'Connection error: read ECONNRESET',
      broker: '127.0.0.1:9092',
    });
    expect(line).to.deep.equal([
      'warn',
      'Connection error: read ECONNRESET',
      { namespace: 'Connection', broker: '127.0.0.1:9092' },
    ]);
  });

  it('never passes on the body of a SASL exchange, which kafkajs logs at debug', () => {
    const [line] = route(logLevel.DEBUG, 'Connection', {
      message: 'Response SaslAuthenticate(key: 36, version: 2)',
      correlationId: 3,
      data: { authBytes: Buffer.from('v=c2VydmVyLXNpZ25hdHVyZQ==') },
      payload: Buffer.from('raw'),
    });
    expect(line[2]).to.deep.equal({
      namespace: 'Connection',
      correlationId: 3,
      data: '[SASL exchange not logged]',
    });
  });

  it('keeps every other error at error', () => {
    expect(
      route(logLevel.ERROR, 'Consumer', { message: 'Crash: KafkaJSNumberOfRetriesExceeded' })[0][0],
    ).to.equal('error');
  });
});
