/**
 * The connect failures that point at the configuration (a refused login, a TLS mismatch, brokers nobody
 * answers at), in rxkafka's words whichever driver met them. Each adapter recognises its library's errors
 * (lib/kafka/kafkajs/kafkajs-connect-failure.ts, lib/kafka/platformatic/platformatic-connect-failure.ts) as
 * one of these kinds; the code, the retriable flag and the message that says what to check come from here,
 * so a user switching drivers reads the same RXK_* error.
 */
import { RxKafkaError } from '../errors';

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

/**
 * A connect failure as the adapter recognised it; `reason` is the library's own words (never a secret).
 * - `sasl-refused`: the broker refused the login (wrong user or password).
 * - `sasl-mechanism-unsupported`: the broker does not enable the mechanism.
 * - `certificate-rejected`: Node rejected the broker's certificate (`code`: Node's verification code).
 * - `tls-handshake-cut`: the peer hung up during the TLS handshake (a plaintext listener does this).
 * - `closed-before-answer`: the broker closed every connection before it answered (a TLS listener does this
 *   to a client without TLS, a SASL listener to one without a login).
 * - `unreachable`: no connection could be opened; `address` is the broker that failed, when known.
 */
export type ConnectFailure =
  | { readonly kind: 'sasl-refused'; readonly reason: string }
  | { readonly kind: 'sasl-mechanism-unsupported' }
  | { readonly kind: 'certificate-rejected'; readonly code: string; readonly reason: string }
  | { readonly kind: 'tls-handshake-cut'; readonly reason: string }
  | { readonly kind: 'closed-before-answer' }
  | { readonly kind: 'unreachable'; readonly reason: string; readonly address?: string };

// Node's TLS verification codes (openssl X509_V_ERR_* names and Node's own) for a certificate not trusted
// or not matching the host: each would fail again on the next attempt.
const CERTIFICATE_CODES: ReadonlySet<string> = new Set([
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

/** True for Node's code of a certificate it rejected (not trusted, expired, not naming the host). */
export function isCertificateCode(code: unknown): code is string {
  return typeof code === 'string' && CERTIFICATE_CODES.has(code);
}

// Node's socket codes for a connection that could not be opened: nobody listens, no route, an unknown host.
const UNOPENED_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** True for Node's code of a socket that could not be opened. */
export function isUnopenedSocketCode(code: unknown): boolean {
  return typeof code === 'string' && UNOPENED_CODES.has(code);
}

/** Node's message when the peer hangs up during the handshake, as a plaintext listener does on a ClientHello. */
export const TLS_HANDSHAKE_CUT = /before secure TLS connection was established/;

/**
 * The RxKafkaError for `failure`, with `cause` as its cause.
 *
 * - `retriable: false` where the evidence is unambiguous: a certificate Node rejected, a mechanism the broker
 *   does not enable, a login the broker refused. Retrying cannot help, and repeated SASL failures can lock
 *   an account.
 * - `retriable: true` for what only suggests a mismatch: the broker closing every connection before it
 *   answers (but so does a broker shutting down), a TLS handshake cut off (or a dropped socket). The
 *   connection machine gives up on these only while it has never been ready.
 * - `RXK_BROKER_UNREACHABLE` (`retriable: true`): the addresses are wrong or the broker is down.
 */
export function toConnectFailureError(
  failure: ConnectFailure,
  target: ConnectTarget,
  cause: unknown,
  history: ConnectHistory = { answered: false },
): RxKafkaError {
  switch (failure.kind) {
    case 'sasl-refused':
      return create('RXK_AUTHENTICATION_FAILED', describeRefusedLogin(failure.reason, target), cause, false);
    case 'sasl-mechanism-unsupported':
      return create('RXK_AUTHENTICATION_FAILED', describeUnsupportedMechanism(target), cause, false);
    case 'certificate-rejected':
      return create(
        'RXK_TLS_FAILED',
        describeCertificateFailure(failure.code, failure.reason, target),
        cause,
        false,
      );
    case 'tls-handshake-cut':
      return create('RXK_TLS_FAILED', describeCutHandshake(failure.reason, target), cause, true);
    case 'closed-before-answer':
      return target.ssl
        ? create('RXK_AUTHENTICATION_FAILED', describeClosedAfterTls(target), cause, true)
        : create('RXK_TLS_FAILED', describeClosedWithoutTls(target), cause, true);
    case 'unreachable':
      return create(
        'RXK_BROKER_UNREACHABLE',
        describeUnreachable(failure.reason, failure.address, target, history),
        cause,
        true,
      );
  }
}

function create(
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

function describeUnreachable(
  reason: string,
  address: string | undefined,
  target: ConnectTarget,
  history: ConnectHistory,
): string {
  const tried = describeBrokers(target.brokers);
  if (history.answered && address !== undefined && address !== tried) {
    return (
      `${target.clientId}: a broker at ${tried} answered, but the address it gave for another broker, ` +
      `${address}, could not be reached (${reason}). Check the brokers' advertised.listeners: each ` +
      'must name a host and port this process can reach.'
    );
  }
  return (
    `${target.clientId}: no broker answered at ${tried} (${reason}). Check client.brokers: each entry ` +
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

function describeCutHandshake(reason: string, target: ConnectTarget): string {
  return (
    `${target.clientId}: the TLS handshake with ${describeBrokers(target.brokers)} was cut off (${reason}). ` +
    "A plaintext listener does this to a TLS client: remove client.ssl, or connect to the broker's TLS " +
    'listener. A socket dropped during the handshake looks the same.'
  );
}

function describeRefusedLogin(reason: string, target: ConnectTarget): string {
  const { mechanism, username } = readSasl(target.sasl);
  return (
    `${target.clientId}: the broker refused SASL ${mechanism ?? '(no mechanism)'} authentication ` +
    `for user '${username ?? '(none)'}' at ${describeBrokers(target.brokers)} (${reason}). Check ` +
    'client.sasl.username and client.sasl.password, that the user exists on the cluster (for SCRAM: ' +
    "kafka-configs --alter --add-config 'SCRAM-SHA-512=[password=…]'), and that the mechanism is one of the " +
    "broker's sasl.enabled.mechanisms. Not retried: every attempt would be refused the same way."
  );
}

function describeCertificateFailure(code: string, reason: string, target: ConnectTarget): string {
  const fix =
    code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH'
      ? 'connect with a broker address that the certificate names (its subjectAltName), or set client.ssl.checkServerIdentity'
      : "give client.ssl.ca the PEM of the CA that signed the broker's certificate (ssl: { ca: [pem] })";
  return (
    `${target.clientId}: the TLS connection to ${describeBrokers(target.brokers)} failed: the broker's ` +
    `certificate was rejected (${code}: ${reason}). Fix: ${fix}. Not retried.`
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
