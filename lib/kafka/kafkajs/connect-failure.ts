/**
 * Recognises the connect failures that point at the configuration (a refused login, a TLS mismatch, brokers
 * nobody answers at), from what kafkajs 2.2.4 throws, and turns them into rxkafka errors that say what to
 * check. Anything else is left to the machine's reconnect backoff as it is.
 */
import { RxKafkaError } from '../../errors';
import { walkCauses, type ErrorLink } from '../error-chain';

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

/** What this client has seen of the cluster before the failure. */
export interface ConnectHistory {
  /**
   * True once a connect of this client succeeded: a broker answered it in Kafka's protocol, so a closed
   * connection afterwards is not a TLS or SASL listener refusing a client without TLS or a login.
   */
  readonly answered: boolean;
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
 *   The connection machine gives up on these only while it has never been ready. Once a broker answered this
 *   client (`history.answered`), a closed connection is a broker going away, and is left as it is.
 * - `RXK_BROKER_UNREACHABLE` (`retriable: true`) when no connection could be opened (refused, timed out, an
 *   unknown host): the addresses are wrong or the broker is down. It is retried like any lost broker.
 */
export function toConnectFailure(
  error: unknown,
  target: ConnectTarget,
  history: ConnectHistory = { answered: false },
): RxKafkaError | undefined {
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
  if (!history.answered && links.some((link) => link.name === 'KafkaJSConnectionClosedError')) {
    return target.ssl
      ? failure('RXK_AUTHENTICATION_FAILED', describeClosedAfterTls(target), error, true)
      : failure('RXK_TLS_FAILED', describeClosedWithoutTls(target), error, true);
  }
  const unreachable = links.find(isUnopenedConnection);
  if (unreachable) {
    return failure('RXK_BROKER_UNREACHABLE', describeUnreachable(unreachable, target, history), error, true);
  }
  return undefined;
}

// kafkajs's SASL authenticators (broker/saslAuthenticator/*.js) wrap every failure of the exchange in
// KafkaJSSASLAuthenticationError, a lost socket or a timeout too. Only the broker's own refusal counts:
// "… due to invalid credentials …" (SCRAM), "Invalid username or password" (PLAIN), a bad server signature.
const SASL_REFUSAL =
  /invalid credentials|Invalid username or password|Invalid server signature|Authentication failed during authentication/i;

/** True when `error` (or an error it wraps) is a connection that could not be opened (see UNOPENED_CODES). */
export function isUnopenedConnectionError(error: unknown): boolean {
  return [...walkCauses(error)].some(isUnopenedConnection);
}

// Node's socket codes for a connection that could not be opened: nobody listens, no route, an unknown host.
const UNOPENED_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// network/connection.js: a socket error (with Node's code) or its own connect timeout, before any answer.
function isUnopenedConnection(link: ErrorLink): boolean {
  if (link.name !== 'KafkaJSConnectionError') return false;
  return (
    link.message === 'Connection timeout' || (typeof link.code === 'string' && UNOPENED_CODES.has(link.code))
  );
}

// Node's message when the peer hangs up during the handshake, as a plaintext listener does on a ClientHello.
const TLS_HANDSHAKE_CUT = /before secure TLS connection was established/;

function failure(
  code: 'RXK_AUTHENTICATION_FAILED' | 'RXK_TLS_FAILED' | 'RXK_BROKER_UNREACHABLE',
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

function describeUnreachable(link: ErrorLink, target: ConnectTarget, history: ConnectHistory): string {
  const tried = describeBrokers(target.brokers);
  const address = typeof link.broker === 'string' ? link.broker : tried;
  if (history.answered && address !== tried) {
    return (
      `${target.clientId}: a broker at ${tried} answered, but the address it gave for another broker, ` +
      `${address}, could not be reached (${link.message}). Check the brokers' advertised.listeners: each ` +
      'must name a host and port this process can reach.'
    );
  }
  return (
    `${target.clientId}: no broker answered at ${tried} (${link.message}). Check client.brokers: each entry ` +
    "is the 'host:port' of a Kafka listener this process can reach (e.g. 'localhost:9092'); and check that " +
    'the broker is running.'
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
