/**
 * Recognises the connect failures that point at the configuration (a refused login, a TLS mismatch, brokers
 * nobody answers at) in what @platformatic/kafka 1.x throws; lib/kafka/connect-failure.ts turns each into
 * the same rxkafka error the kafkajs driver gives. Its connection wraps what went wrong in a NetworkError
 * "Connection to host:port failed." whose `cause` is an AuthenticationError (the broker's SaslAuthenticate
 * refusal below it), Node's TLS or socket error, or its own UserError for a cut TLS handshake.
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
import { isLostConnection, walkPlatformaticErrors } from './platformatic-errors';

interface Link {
  readonly code?: unknown;
  readonly message: string;
  readonly apiId?: unknown;
  readonly serverErrorMessage?: unknown;
}

/**
 * An RxKafkaError for a connect failure that points at the configuration, found anywhere in `error`
 * (aggregated errors and causes); `undefined` for anything else. Once a broker answered this client
 * (`history.answered`), a closed connection is a broker going away, and is left as it is.
 */
export function toPlatformaticConnectFailure(
  error: unknown,
  target: ConnectTarget,
  history: ConnectHistory = { answered: false },
): RxKafkaError | undefined {
  const failure = recognise(error, history);
  return failure && toConnectFailureError(failure, target, error, history);
}

/** True when no connection to a broker could be opened (nobody listens, no route, no answer in time). */
export function isUnreachableBroker(error: unknown): boolean {
  return recognise(error, { answered: false })?.kind === 'unreachable';
}

function recognise(error: unknown, history: ConnectHistory): ConnectFailure | undefined {
  const links = [...walkPlatformaticErrors(error)].map(toLink);
  for (const link of links) {
    if (link.apiId === 'UNSUPPORTED_SASL_MECHANISM' || SASL_MECHANISM_MISSING.test(link.message)) {
      return { kind: 'sasl-mechanism-unsupported' };
    }
    if (link.apiId === 'SASL_AUTHENTICATION_FAILED' || link.code === 'PLT_KFK_AUTHENTICATION') {
      return { kind: 'sasl-refused', reason: describeRefusal(links, link) };
    }
    if (isCertificateCode(link.code)) {
      return { kind: 'certificate-rejected', code: link.code, reason: link.message };
    }
    if (TLS_HANDSHAKE_CUT.test(link.message)) return { kind: 'tls-handshake-cut', reason: link.message };
  }
  if (!history.answered && links.some((link) => CONNECTION_CLOSED.test(link.message))) {
    return { kind: 'closed-before-answer' };
  }
  const unopened = links.find((link) => isUnopenedSocketCode(link.code) || TIMED_OUT.test(link.message));
  if (unopened) return { kind: 'unreachable', reason: unopened.message, address: addressOf(links) };
  // Any other network failure of a connect (a reset socket, a request that timed out): no broker answered
  // it, and the machine retries it like a lost broker.
  if (isLostConnection(error)) {
    return { kind: 'unreachable', reason: links[links.length - 1].message, address: addressOf(links) };
  }
  return undefined;
}

// network/connection.js: the SaslHandshake answered without the mechanism asked for.
const SASL_MECHANISM_MISSING = /Cannot find a suitable SASL mechanism/;
// network/connection.js: the broker closed the socket with requests in flight, or before the connect was ready.
const CONNECTION_CLOSED = /^Connection closed\b/;
// network/connection.js: "Connection to host:port timed out." (its own connect timeout).
const TIMED_OUT = /^Connection to \S+ timed out/;
const FAILED_ADDRESS = /^Connection to (\S+) (?:failed|timed out)/;

/** The broker's own words for a refused login (SaslAuthenticate's error message), else the library's. */
function describeRefusal(links: readonly Link[], refusal: Link): string {
  const said = links.find((link) => typeof link.serverErrorMessage === 'string' && link.serverErrorMessage);
  return said ? String(said.serverErrorMessage) : refusal.message;
}

/** The `host:port` the connection that failed names, if any of its errors does. */
function addressOf(links: readonly Link[]): string | undefined {
  for (const link of links) {
    const match = FAILED_ADDRESS.exec(link.message);
    if (match) return match[1];
  }
  return undefined;
}

function toLink(fields: { code?: unknown; message?: unknown; apiId?: unknown }): Link {
  const { serverErrorMessage } = fields as { serverErrorMessage?: unknown };
  return {
    code: fields.code,
    message: typeof fields.message === 'string' ? fields.message : '',
    apiId: fields.apiId,
    serverErrorMessage,
  };
}
