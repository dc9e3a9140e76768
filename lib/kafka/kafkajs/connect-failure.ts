/**
 * Recognises the connect failures that retrying cannot fix, from what kafkajs 2.2.4 throws, and turns them
 * into rxkafka errors that say what to check. Anything else is left to the machine's reconnect backoff.
 */
import { RxKafkaError } from '../../errors';
import { walkCauses, type ErrorLink } from './error-chain';

/** What the message may name: never the password, a token or any other secret. */
export interface ConnectTarget {
  readonly clientId: string;
  /** `client.brokers`: a list, or kafkajs's function that returns one (then named as "the brokers"). */
  readonly brokers: unknown;
  /** `client.ssl` as configured: absent, a boolean, or TLS options. */
  readonly ssl?: unknown;
  /** `client.sasl` as configured; only `mechanism` and `username` are read. */
  readonly sasl?: unknown;
}

// Node's TLS verification codes (openssl X509_V_ERR_* names and Node's own) for a certificate not trusted
// or not matching the host: each would fail again on the next attempt.
const CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

/**
 * An RxKafkaError for a connect failure that points at the configuration, found anywhere in `error`'s chain
 * (kafkajs wraps the cause in `KafkaJSNumberOfRetriesExceeded` or `cause`); `undefined` for anything else.
 *
 * - `retriable: false` where the evidence is unambiguous: a certificate Node rejected, a mechanism the broker
 *   does not enable, a login the broker refused. Retrying cannot help.
 * - `retriable: true` for what only suggests a mismatch: the broker closing every connection before it
 *   answers (a TLS listener does this to a client without TLS, a SASL listener to one without a login, but
 *   so does a broker shutting down), and a TLS handshake cut off (a plaintext listener, or a dropped socket).
 *   The connection machine gives up on these only while it has never been ready.
 */
export function toConnectFailure(error: unknown, target: ConnectTarget): RxKafkaError | undefined {
  const links = [...walkCauses(error)];
  for (const link of links) {
    if (link.name === 'KafkaJSSASLAuthenticationError' && SASL_REFUSAL.test(link.message)) {
      return failure('RXK_AUTHENTICATION_FAILED', describeAuthenticationFailure(link, target), error, false);
    }
    if (link.type === 'UNSUPPORTED_SASL_MECHANISM') {
      return failure('RXK_AUTHENTICATION_FAILED', describeUnsupportedMechanism(target), error, false);
    }
    const code = typeof link.code === 'string' ? link.code : undefined;
    if (code && CERTIFICATE_CODES.has(code)) {
      return failure('RXK_TLS_FAILED', describeCertificateFailure(link, code, target), error, false);
    }
    if (TLS_HANDSHAKE_CUT.test(link.message)) {
      return failure('RXK_TLS_FAILED', describeCutHandshake(link, target), error, true);
    }
  }
  if (links.some((link) => link.name === 'KafkaJSConnectionClosedError')) {
    return target.ssl
      ? failure('RXK_AUTHENTICATION_FAILED', describeClosedAfterTls(target), error, true)
      : failure('RXK_TLS_FAILED', describeClosedWithoutTls(target), error, true);
  }
  return undefined;
}

// kafkajs's SASL authenticators (broker/saslAuthenticator/*.js) wrap every failure of the exchange in
// KafkaJSSASLAuthenticationError, a lost socket or a timeout too. Only the broker's own refusal counts:
// "… due to invalid credentials …" (SCRAM), "Invalid username or password" (PLAIN), a bad server signature.
const SASL_REFUSAL =
  /invalid credentials|Invalid username or password|Invalid server signature|Authentication failed during authentication/i;

// Node's message when the peer hangs up during the handshake, as a plaintext listener does on a ClientHello.
const TLS_HANDSHAKE_CUT = /before secure TLS connection was established/;

function failure(
  code: 'RXK_AUTHENTICATION_FAILED' | 'RXK_TLS_FAILED',
  message: string,
  cause: unknown,
  retriable: boolean,
): RxKafkaError {
  return new RxKafkaError(code, message, { cause, retriable });
}

function describeUnsupportedMechanism(target: ConnectTarget): string {
  const { mechanism } = readSasl(target.sasl);
  return (
    `${target.clientId}: the broker at ${describeBrokers(target.brokers)} does not enable the SASL mechanism ` +
    `'${mechanism ?? '(none)'}': set client.sasl.mechanism to one of the broker's sasl.enabled.mechanisms ` +
    '(for example scram-sha-512). Not retried.'
  );
}

function describeClosedWithoutTls(target: ConnectTarget): string {
  return (
    `${target.clientId}: the broker at ${describeBrokers(target.brokers)} closed every connection before ` +
    'answering. A TLS listener (SSL or SASL_SSL) does this to a client without TLS: set client.ssl (true, or ' +
    "{ ca: [pem] } for a private CA), or connect to the broker's plaintext listener. A SASL_PLAINTEXT " +
    'listener does the same to a client without client.sasl, and so does a broker that is shutting down.'
  );
}

function describeClosedAfterTls(target: ConnectTarget): string {
  return (
    `${target.clientId}: the broker at ${describeBrokers(target.brokers)} closed every connection after TLS ` +
    'was set up. A SASL_SSL listener does this to a client that sends no login: set client.sasl ' +
    "({ mechanism: 'scram-sha-512', username, password }). A broker that is shutting down does it too."
  );
}

function describeCutHandshake(link: ErrorLink, target: ConnectTarget): string {
  return (
    `${target.clientId}: the TLS handshake with ${describeBrokers(target.brokers)} was cut off (${link.message}). ` +
    "A plaintext listener does this to a TLS client: remove client.ssl, or connect to the broker's TLS " +
    'listener. A socket dropped during the handshake looks the same.'
  );
}

function describeAuthenticationFailure(link: ErrorLink, target: ConnectTarget): string {
  const { mechanism, username } = readSasl(target.sasl);
  return (
    `${target.clientId}: the broker refused SASL ${mechanism ?? '(no mechanism)'} authentication ` +
    `for user '${username ?? '(none)'}' at ${describeBrokers(target.brokers)} (${link.message}). Check ` +
    'client.sasl.username and client.sasl.password, that the user exists on the cluster (for SCRAM: ' +
    "kafka-configs --alter --add-config 'SCRAM-SHA-512=[password=…]'), and that the mechanism is one of the " +
    "broker's sasl.enabled.mechanisms. Not retried: every attempt would be refused the same way."
  );
}

function describeCertificateFailure(link: ErrorLink, code: string, target: ConnectTarget): string {
  const fix =
    code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH'
      ? 'connect with a broker address that the certificate names (its subjectAltName), or set client.ssl.checkServerIdentity'
      : "give client.ssl.ca the PEM of the CA that signed the broker's certificate (ssl: { ca: [pem] })";
  return (
    `${target.clientId}: the TLS connection to ${describeBrokers(target.brokers)} failed: the broker's ` +
    `certificate was rejected (${code}: ${link.message}). Fix: ${fix}. Not retried.`
  );
}

function describeBrokers(brokers: unknown): string {
  return Array.isArray(brokers) ? brokers.join(',') : 'the brokers';
}

function readSasl(sasl: unknown): { mechanism?: string; username?: string } {
  if (typeof sasl !== 'object' || sasl === null) return {};
  const { mechanism, username } = sasl as { mechanism?: unknown; username?: unknown };
  return {
    mechanism: typeof mechanism === 'string' ? mechanism : undefined,
    username: typeof username === 'string' ? username : undefined,
  };
}
