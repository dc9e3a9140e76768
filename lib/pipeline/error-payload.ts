import { isRpcExceptionLike } from '../handlers/rpc-exception';
import { createUnknownErrorPayload } from '../wire/error-header';

/**
 * Maps a handler's error to the payload a NestJS server would reply with (Nest's
 * `exceptions/base-rpc-exception-filter.ts`): an `RpcException` (ours or @nestjs/microservices') carrying
 * an object → that object; carrying anything else `x` → `{ status: 'error', message: x }`; any other
 * error → `{ status: 'error', message: 'Internal server error' }`, so internals never leak to callers.
 */
export function toErrorPayload(error: unknown): unknown {
  if (!isRpcExceptionLike(error)) return createUnknownErrorPayload();
  const inner: unknown = error.getError();
  return typeof inner === 'object' && inner !== null ? inner : { status: 'error', message: inner };
}
