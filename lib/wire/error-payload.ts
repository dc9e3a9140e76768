import { isRpcExceptionLike } from '../handlers/rpc-exception';

const UNKNOWN_EXCEPTION_MESSAGE = 'Internal server error';

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

/**
 * Encodes an error payload as the `kafka_nest-err` header: objects (and `null`) as JSON, strings raw,
 * other scalars as `String()`. Never throws: Nest crashed on payloads `Buffer.from` refuses
 * (nestjs/nest#9024); a payload JSON cannot encode (a cycle, a BigInt) is sent as the unknown-error payload.
 */
export function encodeErrorHeader(payload: unknown): Buffer {
  return Buffer.from(toErrorHeaderText(payload), 'utf8');
}

function toErrorHeaderText(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  if (typeof payload === 'object') return stringifyJson(payload) ?? stringifyUnknownError();
  try {
    return String(payload);
  } catch {
    return stringifyUnknownError();
  }
}

function stringifyJson(payload: unknown): string | undefined {
  try {
    return JSON.stringify(payload) as string | undefined;
  } catch {
    return undefined;
  }
}

function stringifyUnknownError(): string {
  return JSON.stringify(createUnknownErrorPayload());
}

function createUnknownErrorPayload(): { status: 'error'; message: string } {
  return { status: 'error', message: UNKNOWN_EXCEPTION_MESSAGE };
}
