/**
 * Recognises the connect failures that retrying cannot fix, from what kafkajs 2.2.4 throws, and turns them
 * into rxkafka errors that say what to check. Anything else is left to the machine's reconnect backoff.
 */
import { RxKafkaError } from '../errors';

/** What the message may name: never the password, a token or any other secret. */
export interface ConnectTarget {
  readonly clientId: string;
  readonly brokers: readonly string[] | unknown;
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
 * A typed, non-retriable RxKafkaError for a permanent connect failure found anywhere in `error`'s chain
 * (kafkajs wraps the cause in `KafkaJSNumberOfRetriesExceeded` or `cause`); `undefined` for anything else.
 */
export function toConnectFailure(error: unknown, target: ConnectTarget): RxKafkaError | undefined {
  const links = [...walkCauses(error)];
  for (const link of links) {
    if (link.name === 'KafkaJSSASLAuthenticationError') {
      return failure('RXK_AUTHENTICATION_FAILED', describeAuthenticationFailure(link, target), error);
    }
    if (link.type === 'UNSUPPORTED_SASL_MECHANISM') {
      return failure('RXK_AUTHENTICATION_FAILED', describeUnsupportedMechanism(target), error);
    }
    const code = typeof link.code === 'string' ? link.code : undefined;
    if (code && CERTIFICATE_CODES.has(code)) {
      return failure('RXK_TLS_FAILED', describeCertificateFailure(link, code, target), error);
    }
    if (TLS_HANDSHAKE_CUT.test(link.message)) {
      return failure('RXK_TLS_FAILED', describeTlsToPlaintext(link, target), error);
    }
  }
  // kafkajs retried the connection and the broker closed it every time, right after the first request:
  // what a TLS listener does to a client without TLS, and a SASL listener to one that sends no login.
  if (links.some((link) => link.name === 'KafkaJSConnectionClosedError')) {
    if (!target.ssl) return failure('RXK_TLS_FAILED', describePlaintextToTls(target), error);
    if (!target.sasl) return failure('RXK_AUTHENTICATION_FAILED', describeMissingLogin(target), error);
  }
  return undefined;
}

// Node's message when the peer hangs up during the handshake, as a plaintext listener does on a ClientHello.
const TLS_HANDSHAKE_CUT = /before secure TLS connection was established/;

function failure(code: 'RXK_AUTHENTICATION_FAILED' | 'RXK_TLS_FAILED', message: string, cause: unknown) {
  return new RxKafkaError(code, message, { cause, retriable: false });
}

function describeUnsupportedMechanism(target: ConnectTarget): string {
  const { mechanism } = readSasl(target.sasl);
  return (
    `${target.clientId}: the broker at ${describeBrokers(target.brokers)} does not enable the SASL mechanism ` +
    `'${mechanism ?? '(none)'}': set client.sasl.mechanism to one of the broker's sasl.enabled.mechanisms ` +
    '(for example scram-sha-512). Not retried.'
  );
}

function describePlaintextToTls(target: ConnectTarget): string {
  return (
    `${target.clientId}: the broker at ${describeBrokers(target.brokers)} closed every connection before ` +
    'answering, which is what a TLS (SSL or SASL_SSL) listener does to a client without TLS. Set client.ssl ' +
    "(true, or { ca: [pem] } for a private CA), or connect to the broker's plaintext listener. Not retried."
  );
}

function describeTlsToPlaintext(link: ErrorLink, target: ConnectTarget): string {
  return (
    `${target.clientId}: the TLS handshake with ${describeBrokers(target.brokers)} was cut off (${link.message}), ` +
    "which is what a plaintext listener does to a TLS client. Remove client.ssl, or connect to the broker's " +
    'TLS listener. Not retried.'
  );
}

function describeMissingLogin(target: ConnectTarget): string {
  return (
    `${target.clientId}: the broker at ${describeBrokers(target.brokers)} closed every connection after TLS was ` +
    'set up, which is what a SASL_SSL listener does to a client that sends no login. Set client.sasl ' +
    "({ mechanism: 'scram-sha-512', username, password }). Not retried."
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

interface ErrorLink {
  readonly name: string;
  readonly message: string;
  readonly code?: unknown;
  /** kafkajs's protocol error type (`UNSUPPORTED_SASL_MECHANISM`, …). */
  readonly type?: unknown;
}

/** `error`, then each `originalError` / `cause` below it, at most 8 deep (a cycle ends the walk). */
function* walkCauses(error: unknown): Generator<ErrorLink> {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && !seen.has(current) && seen.size < 8) {
    seen.add(current);
    const link = current as {
      name?: unknown;
      message?: unknown;
      code?: unknown;
      type?: unknown;
      originalError?: unknown;
      cause?: unknown;
    };
    yield {
      name: typeof link.name === 'string' ? link.name : 'Error',
      message: typeof link.message === 'string' ? link.message : '',
      code: link.code,
      type: link.type,
    };
    current = link.originalError ?? link.cause;
  }
}
