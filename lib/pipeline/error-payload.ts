import { isRetriableException, isRpcExceptionLike } from '../handlers/rpc-exception';
import { createUnknownErrorPayload } from '../wire/error-header';

/**
 * A handler failure whose reply payload is already decided, as a NestJS exception filter decides it (the
 * error its Observable emits is the payload `ServerKafka` sends): the caller gets `payload` as it is.
 */
export class DecidedErrorPayload extends Error {
  readonly payload: unknown;

  constructor(payload: unknown) {
    super(`the handler failed; its exception filter replied ${describePayload(payload)}`);
    this.name = 'DecidedErrorPayload';
    this.payload = payload;
  }
}

/**
 * Maps a handler's error to the payload a NestJS server would reply with (Nest's
 * `exceptions/base-rpc-exception-filter.ts`): an `RpcException` (ours or @nestjs/microservices') carrying
 * an object → that object; carrying anything else `x` → `{ status: 'error', message: x }`; any other
 * error → `{ status: 'error', message: 'Internal server error' }`, so internals never leak to callers.
 * A `DecidedErrorPayload` gives its payload unchanged.
 */
export function toErrorPayload(error: unknown): unknown {
  if (error instanceof DecidedErrorPayload) return error.payload;
  if (!isRpcExceptionLike(error)) return createUnknownErrorPayload();
  const inner: unknown = error.getError();
  return typeof inner === 'object' && inner !== null ? inner : { status: 'error', message: inner };
}

/**
 * True when the handler chose its error reply: it threw an `RpcException` (ours or Nest's), or a NestJS
 * exception filter turned the failure into a payload of its own. Such a reply is the handler's answer, as an
 * HTTP 4xx is, not a fault. False for what nobody decided: any other error, a `KafkaRetriableException`
 * that came too late to retry, and a filter's reply of Nest's unknown-error payload (Nest's base filter
 * answers an unexpected error with it, after logging the error through Nest's logger).
 */
export function isDecidedErrorReply(error: unknown): boolean {
  if (error instanceof DecidedErrorPayload) return !isUnknownErrorPayload(error.payload);
  return isRpcExceptionLike(error) && !isRetriableException(error);
}

function isUnknownErrorPayload(payload: unknown): boolean {
  if (typeof payload !== 'object' || payload === null) return false;
  const unknown = createUnknownErrorPayload();
  const entries = Object.entries(payload);
  return (
    entries.length === 2 &&
    (payload as Record<string, unknown>).status === unknown.status &&
    (payload as Record<string, unknown>).message === unknown.message
  );
}

function describePayload(payload: unknown): string {
  try {
    return JSON.stringify(payload) ?? String(payload);
  } catch {
    return Object.prototype.toString.call(payload);
  }
}
