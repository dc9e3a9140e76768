import { expect } from 'chai';
import { createInitialContext, isConfigurationFailure } from '../../../lib/connection/connection-context';
import { toConnectionError } from '../../../lib/connection/connection-events';
import type { ConnectTarget } from '../../../lib/kafka/connect-failure';
import {
  isUnopenedConnectionError,
  toConnectFailure,
} from '../../../lib/kafka/kafkajs/kafkajs-connect-failure';

/** An error shaped like kafkajs's: a name, a message, and optional code / cause / originalError. */
function kafkaError(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name }, extra);
}

const TARGET: ConnectTarget = {
  clientId: 'orders-server',
  brokers: ['127.0.0.1:9093'],
  ssl: true,
  sasl: { mechanism: 'scram-sha-512', username: 'orders', password: 'do-not-print-me' },
};

describe('toConnectFailure()', () => {
  context('with kafkajs’s SASL authentication error', () => {
    const sasl = kafkaError(
      'KafkaJSSASLAuthenticationError',
      'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    );

    it('gives RXK_AUTHENTICATION_FAILED, not retriable, with the kafkajs error as cause', () => {
      const failure = toConnectFailure(sasl, TARGET);
      expect(failure?.code).to.equal('RXK_AUTHENTICATION_FAILED');
      expect(failure?.retriable).to.equal(false);
      expect(failure?.cause).to.equal(sasl);
    });

    it('names the user, the mechanism, the brokers and what to check, never the password', () => {
      const message = toConnectFailure(sasl, TARGET)?.message ?? '';
      expect(message).to.contain("user 'orders'");
      expect(message).to.contain('scram-sha-512');
      expect(message).to.contain('127.0.0.1:9093');
      expect(message).to.contain('client.sasl.password');
      expect(message).not.to.contain('do-not-print-me');
    });

    it('leaves a login cut short by a lost socket (kafkajs wraps that too) to the backoff', () => {
      const cut = kafkaError(
        'KafkaJSSASLAuthenticationError',
        'SASL SCRAM SHA512 authentication failed: Closed connection',
      );
      expect(toConnectFailure(cut, TARGET)).to.equal(undefined);
    });

    it('finds it below KafkaJSNumberOfRetriesExceeded and a cause chain', () => {
      const wrapped = kafkaError('KafkaJSNumberOfRetriesExceeded', 'retries exceeded', {
        originalError: kafkaError('KafkaJSNonRetriableError', 'wrapper', { cause: sasl }),
      });
      expect(toConnectFailure(wrapped, TARGET)?.code).to.equal('RXK_AUTHENTICATION_FAILED');
    });
  });

  context('with a rejected broker certificate', () => {
    it('gives RXK_TLS_FAILED for an untrusted CA, naming client.ssl.ca', () => {
      const error = kafkaError(
        'KafkaJSConnectionError',
        'Connection error: self-signed certificate in certificate chain',
        {
          code: 'SELF_SIGNED_CERT_IN_CHAIN',
        },
      );
      const failure = toConnectFailure(error, TARGET);
      expect(failure?.code).to.equal('RXK_TLS_FAILED');
      expect(failure?.retriable).to.equal(false);
      expect(failure?.message).to.contain('client.ssl.ca');
      expect(failure?.message).to.contain('SELF_SIGNED_CERT_IN_CHAIN');
    });

    it('points at the broker address for a name the certificate does not hold', () => {
      const error = kafkaError(
        'KafkaJSConnectionError',
        "Connection error: Hostname/IP does not match certificate's altnames",
        {
          code: 'ERR_TLS_CERT_ALTNAME_INVALID',
        },
      );
      expect(toConnectFailure(error, TARGET)?.message).to.contain('subjectAltName');
    });
  });

  context('when the broker closed every connection kafkajs tried', () => {
    const closed = kafkaError('KafkaJSNumberOfRetriesExceeded', 'Closed connection', {
      cause: kafkaError('KafkaJSConnectionClosedError', 'Closed connection'),
    });

    it('suggests client.ssl to a client without TLS, as a likely (retriable) RXK_TLS_FAILED', () => {
      const failure = toConnectFailure(closed, { ...TARGET, ssl: undefined, sasl: undefined });
      expect(failure?.code).to.equal('RXK_TLS_FAILED');
      expect(failure?.retriable).to.equal(true);
      expect(failure?.message).to.contain('set client.ssl');
      // The other causes of the same symptom are named too.
      expect(failure?.message).to.contain('SASL_PLAINTEXT');
      expect(failure?.message).to.contain('shutting down');
    });

    it('suggests client.sasl to a TLS client, as a likely (retriable) RXK_AUTHENTICATION_FAILED', () => {
      const failure = toConnectFailure(closed, { ...TARGET, sasl: undefined });
      expect(failure?.code).to.equal('RXK_AUTHENTICATION_FAILED');
      expect(failure?.retriable).to.equal(true);
      expect(failure?.message).to.contain('set client.sasl');
      expect(failure?.message).to.contain('shutting down');
    });
  });

  it('says a TLS client met a plaintext listener when the handshake was cut off', () => {
    const cut = kafkaError(
      'KafkaJSConnectionError',
      'Connection error: Client network socket disconnected before secure TLS connection was established',
      { code: 'ECONNRESET' },
    );
    const failure = toConnectFailure(cut, TARGET);
    expect(failure?.code).to.equal('RXK_TLS_FAILED');
    expect(failure?.retriable).to.equal(true);
    expect(failure?.message).to.contain('plaintext listener');
  });

  it('names client.sasl.mechanism for a mechanism the broker does not enable', () => {
    const unsupported = kafkaError(
      'KafkaJSProtocolError',
      'The broker does not support the requested SASL mechanism',
      {
        type: 'UNSUPPORTED_SASL_MECHANISM',
      },
    );
    const failure = toConnectFailure(unsupported, TARGET);
    expect(failure?.code).to.equal('RXK_AUTHENTICATION_FAILED');
    expect(failure?.message).to.contain("'scram-sha-512'");
  });

  context('when no connection could be opened', () => {
    const refused = kafkaError(
      'KafkaJSNumberOfRetriesExceeded',
      'Connection error: connect ECONNREFUSED 127.0.0.1:9093',
      {
        originalError: kafkaError(
          'KafkaJSConnectionError',
          'Connection error: connect ECONNREFUSED 127.0.0.1:9093',
          {
            code: 'ECONNREFUSED',
            broker: '127.0.0.1:9093',
          },
        ),
      },
    );
    const neverReady = createInitialContext({ input: { clientId: 'orders-server' } });

    it('gives a retriable RXK_BROKER_UNREACHABLE with the kafkajs error as cause, which the machine retries', () => {
      const failure = toConnectFailure(refused, TARGET);
      expect(failure?.code).to.equal('RXK_BROKER_UNREACHABLE');
      expect(failure?.retriable).to.equal(true);
      expect(failure?.cause).to.equal(refused);
      // The broker may come back: left to the backoff, also on a first connect.
      expect(isConfigurationFailure(neverReady, toConnectionError(failure))).to.equal(false);
    });

    it('names the addresses tried, the socket error and client.brokers, and no TLS', () => {
      const message =
        toConnectFailure(refused, { ...TARGET, ssl: undefined, sasl: undefined })?.message ?? '';
      expect(message).to.contain('127.0.0.1:9093');
      expect(message).to.contain('ECONNREFUSED');
      expect(message).to.contain('client.brokers');
      expect(message).not.to.match(/TLS|ssl/i);
    });

    it('recognises a connect timeout and an unknown host, but not a socket reset', () => {
      const timeout = kafkaError('KafkaJSConnectionError', 'Connection timeout', { broker: 'kafka:9092' });
      const unknown = kafkaError('KafkaJSConnectionError', 'Connection error: getaddrinfo ENOTFOUND kafka', {
        code: 'ENOTFOUND',
      });
      const reset = kafkaError('KafkaJSConnectionError', 'Connection error: read ECONNRESET', {
        code: 'ECONNRESET',
      });
      expect(toConnectFailure(timeout, TARGET)?.code).to.equal('RXK_BROKER_UNREACHABLE');
      expect(toConnectFailure(unknown, TARGET)?.code).to.equal('RXK_BROKER_UNREACHABLE');
      expect(toConnectFailure(reset, TARGET)).to.equal(undefined);
      expect([timeout, unknown, reset].map(isUnopenedConnectionError)).to.deep.equal([true, true, false]);
    });

    it("points at advertised.listeners when a broker answered but another one's address cannot be opened", () => {
      const advertised = kafkaError(
        'KafkaJSConnectionError',
        'Connection error: connect ECONNREFUSED 10.0.0.7:9092',
        {
          code: 'ECONNREFUSED',
          broker: '10.0.0.7:9092',
        },
      );
      const failure = toConnectFailure(advertised, TARGET, { answered: true });
      expect(failure?.code).to.equal('RXK_BROKER_UNREACHABLE');
      expect(failure?.message).to.contain('10.0.0.7:9092');
      expect(failure?.message).to.contain('advertised.listeners');
    });
  });

  context('once a broker answered this client', () => {
    it('leaves a closed connection as it is: no TLS or SASL guess', () => {
      const closed = kafkaError('KafkaJSConnectionClosedError', 'Closed connection');
      expect(toConnectFailure(closed, { ...TARGET, ssl: undefined }, { answered: true })).to.equal(undefined);
      expect(toConnectFailure(closed, TARGET, { answered: true })).to.equal(undefined);
    });

    it('leaves a missing topic (UNKNOWN_TOPIC_OR_PARTITION) to the adapter that knows the topics', () => {
      const unknown = kafkaError('KafkaJSProtocolError', 'This server does not host this topic-partition', {
        type: 'UNKNOWN_TOPIC_OR_PARTITION',
      });
      expect(toConnectFailure(unknown, { ...TARGET, ssl: undefined })).to.equal(undefined);
    });
  });

  it('never throws on odd values and ends a cause cycle', () => {
    const cyclic: Record<string, unknown> = { name: 'Loop', message: 'x' };
    cyclic.cause = cyclic;
    for (const value of [undefined, null, 'text', 42, {}, cyclic]) {
      expect(toConnectFailure(value, TARGET)).to.equal(undefined);
    }
  });
});
