/**
 * Recognises the connect failures that point at the configuration (a refused login, a TLS mismatch, brokers
 * nobody answers at) in what kafkajs 2.2.4 throws; lib/kafka/connect-failure.ts turns each into the rxkafka
 * error that says what to check. Anything else is left to the machine's reconnect backoff as it is.
 */
import type { RxKafkaError } from '../../errors';
import {
  isCertificateCode,
  isUnopenedSocketCode,
  TLS_HANDSHAKE_CUT,
  toConnectFailureError,
  type ConnectFailure,
  type ConnectHistory,
  type ConnectTarget,
} from '../connect-failure';
import { walkCauses, type ErrorLink } from '../error-chain';

/**
 * An RxKafkaError for a connect failure that points at the configuration, found anywhere in `error`'s chain
 * (kafkajs wraps the cause in `KafkaJSNumberOfRetriesExceeded` or `cause`); `undefined` for anything else.
 * Once a broker answered this client (`history.answered`), a closed connection is a broker going away, and
 * is left as it is.
 */
export function toConnectFailure(
  error: unknown,
  target: ConnectTarget,
  history: ConnectHistory = { answered: false },
): RxKafkaError | undefined {
  const failure = recognise([...walkCauses(error)], history);
  return failure && toConnectFailureError(failure, target, error, history);
}

function recognise(links: readonly ErrorLink[], history: ConnectHistory): ConnectFailure | undefined {
  for (const link of links) {
    if (link.name === 'KafkaJSSASLAuthenticationError' && SASL_REFUSAL.test(link.message)) {
      return { kind: 'sasl-refused', reason: link.message };
    }
    if (link.type === 'UNSUPPORTED_SASL_MECHANISM') return { kind: 'sasl-mechanism-unsupported' };
    if (isCertificateCode(link.code)) {
      return { kind: 'certificate-rejected', code: link.code, reason: link.message };
    }
    if (TLS_HANDSHAKE_CUT.test(link.message)) return { kind: 'tls-handshake-cut', reason: link.message };
  }
  if (!history.answered && links.some((link) => link.name === 'KafkaJSConnectionClosedError')) {
    return { kind: 'closed-before-answer' };
  }
  const unreachable = links.find(isUnopenedConnection);
  if (unreachable) {
    const address = typeof unreachable.broker === 'string' ? unreachable.broker : undefined;
    return { kind: 'unreachable', reason: unreachable.message, address };
  }
  return undefined;
}

// kafkajs's SASL authenticators (broker/saslAuthenticator/*.js) wrap every failure of the exchange in
// KafkaJSSASLAuthenticationError, a lost socket or a timeout too. Only the broker's own refusal counts:
// "… due to invalid credentials …" (SCRAM), "Invalid username or password" (PLAIN), a bad server signature.
const SASL_REFUSAL =
  /invalid credentials|Invalid username or password|Invalid server signature|Authentication failed during authentication/i;

/** True when `error` (or an error it wraps) is a connection that could not be opened. */
export function isUnopenedConnectionError(error: unknown): boolean {
  return [...walkCauses(error)].some(isUnopenedConnection);
}

// network/connection.js: a socket error (with Node's code) or its own connect timeout, before any answer.
function isUnopenedConnection(link: ErrorLink): boolean {
  if (link.name !== 'KafkaJSConnectionError') return false;
  return link.message === 'Connection timeout' || isUnopenedSocketCode(link.code);
}
