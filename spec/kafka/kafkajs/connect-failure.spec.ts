import { expect } from 'chai';
import { toConnectFailure, type ConnectTarget } from '../../../lib/kafka/kafkajs/connect-failure';

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

  it('leaves a refused connection (the broker may come back) to the reconnect backoff', () => {
    const refused = kafkaError(
      'KafkaJSConnectionError',
      'Connection error: connect ECONNREFUSED 127.0.0.1:9093',
      {
        code: 'ECONNREFUSED',
      },
    );
    expect(toConnectFailure(refused, TARGET)).to.equal(undefined);
  });

  it('never throws on odd values and ends a cause cycle', () => {
    const cyclic: Record<string, unknown> = { name: 'Loop', message: 'x' };
    cyclic.cause = cyclic;
    for (const value of [undefined, null, 'text', 42, {}, cyclic]) {
      expect(toConnectFailure(value, TARGET)).to.equal(undefined);
    }
  });
});
