import { isRpcExceptionLike } from '../handlers/rpc-exception';
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

function describePayload(payload: unknown): string {
  try {
    return JSON.stringify(payload) ?? String(payload);
  } catch {
    return Object.prototype.toString.call(payload);
  }
}
