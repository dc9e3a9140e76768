import { expect } from 'chai';
import type { ConnectTarget } from '../../../lib/kafka/connect-failure';
import {
  isUnreachableBroker,
  toPlatformaticConnectFailure,
} from '../../../lib/kafka/platformatic/platformatic-connect-failure';
import { loadPlatformatic } from '../../../lib/kafka/platformatic/platformatic-library';

const { AuthenticationError, MultipleErrors, NetworkError, ProtocolError, TimeoutError, UserError } =
  loadPlatformatic();

const TARGET: ConnectTarget = {
  clientId: 'orders-server',
  brokers: ['127.0.0.1:9093'],
  ssl: { ca: ['pem'] },
  sasl: { mechanism: 'scram-sha-512', username: 'orders', password: 'do-not-print-me' },
};

/** A failed connect as @platformatic/kafka's connection reports it: NetworkError around the cause. */
function failedConnect(cause: Error): Error {
  return new NetworkError('Connection to 127.0.0.1:9093 failed.', { cause });
}

/** A Node error with a code, as its net and tls modules throw. */
function nodeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('toPlatformaticConnectFailure()', () => {
  it('gives RXK_AUTHENTICATION_FAILED (not retriable) for a refused login, naming the user, not the password', () => {
    const refusal = new ProtocolError(
      'SASL_AUTHENTICATION_FAILED',
      'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    );
    const error = failedConnect(
      new AuthenticationError('SASL authentication failed.', {
        cause: new MultipleErrors('SaslAuthenticate failed.', [refusal]),
      }),
    );
    const failure = toPlatformaticConnectFailure(error, TARGET);
    expect(failure?.code).to.equal('RXK_AUTHENTICATION_FAILED');
    expect(failure?.retriable).to.equal(false);
    expect(failure?.cause).to.equal(error);
    expect(failure?.message).to.contain("user 'orders'").and.to.contain('invalid credentials');
    expect(failure?.message).to.contain('client.sasl.password').and.not.to.contain('do-not-print-me');
  });

  it('names client.sasl.mechanism when the broker does not enable it', () => {
    const error = failedConnect(new AuthenticationError('Cannot find a suitable SASL mechanism.'));
    const failure = toPlatformaticConnectFailure(error, TARGET);
    expect(failure?.code).to.equal('RXK_AUTHENTICATION_FAILED');
    expect(failure?.message).to.contain('client.sasl.mechanism');
  });

  it('gives RXK_TLS_FAILED (not retriable) for a certificate Node rejected, naming client.ssl.ca', () => {
    const error = failedConnect(
      nodeError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
    );
    const failure = toPlatformaticConnectFailure(error, TARGET);
    expect(failure?.code).to.equal('RXK_TLS_FAILED');
    expect(failure?.retriable).to.equal(false);
    expect(failure?.message).to.contain('SELF_SIGNED_CERT_IN_CHAIN').and.to.contain('client.ssl.ca');
  });

  it('says a plaintext listener cut the TLS handshake (retriable)', () => {
    const reset = nodeError(
      'ECONNRESET',
      'Client network socket disconnected before secure TLS connection was established',
    );
    const error = failedConnect(
      new UserError('TLS handshake failed. Please verify the broker supports TLS.', { cause: reset }),
    );
    const failure = toPlatformaticConnectFailure(error, TARGET);
    expect(failure?.code).to.equal('RXK_TLS_FAILED');
    expect(failure?.retriable).to.equal(true);
    expect(failure?.message).to.contain('plaintext listener');
  });

  context('when the broker closed the connection before it answered', () => {
    const closed = new MultipleErrors('metadata failed 1 times.', [new NetworkError('Connection closed')]);

    it('suggests client.ssl to a client without TLS, and client.sasl to one with it', () => {
      const withoutTls = toPlatformaticConnectFailure(closed, { ...TARGET, ssl: undefined, sasl: undefined });
      expect(withoutTls?.code).to.equal('RXK_TLS_FAILED');
      expect(withoutTls?.message).to.contain('set client.ssl');
      const withoutLogin = toPlatformaticConnectFailure(closed, { ...TARGET, sasl: undefined });
      expect(withoutLogin?.code).to.equal('RXK_AUTHENTICATION_FAILED');
      expect(withoutLogin?.message).to.contain('set client.sasl');
    });

    it('makes no TLS or SASL guess once a broker answered this client', () => {
      const failure = toPlatformaticConnectFailure(closed, TARGET, { answered: true });
      expect(failure?.code).to.equal('RXK_BROKER_UNREACHABLE');
    });
  });

  it('gives RXK_BROKER_UNREACHABLE (retriable) naming the address and client.brokers when nobody listens', () => {
    const error = failedConnect(nodeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9093'));
    const failure = toPlatformaticConnectFailure(error, { ...TARGET, ssl: undefined, sasl: undefined });
    expect(failure?.code).to.equal('RXK_BROKER_UNREACHABLE');
    expect(failure?.retriable).to.equal(true);
    expect(failure?.message).to.contain('127.0.0.1:9093').and.to.contain('client.brokers');
    expect(failure?.message).not.to.match(/TLS|ssl/i);
    expect(isUnreachableBroker(error)).to.equal(true);
    expect(isUnreachableBroker(new TimeoutError('Connection to 127.0.0.1:9093 timed out.'))).to.equal(true);
  });

  it('leaves what is no connect failure as it is', () => {
    expect(toPlatformaticConnectFailure(new ProtocolError('REBALANCE_IN_PROGRESS'), TARGET)).to.equal(
      undefined,
    );
    expect(toPlatformaticConnectFailure(new UserError('Unknown topic t.'), TARGET)).to.equal(undefined);
    expect(
      isUnreachableBroker(failedConnect(new AuthenticationError('SASL authentication failed.'))),
    ).to.equal(false);
  });
});
