/**
 * The `kafka_nest-err` header of an error reply, and the payload NestJS replies for an error it does not
 * expose (`exceptions/base-rpc-exception-filter.ts`).
 */
const UNKNOWN_EXCEPTION_MESSAGE = 'Internal server error';

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

/** `{ status: 'error', message: 'Internal server error' }`: a fresh object each call. */
export function createUnknownErrorPayload(): { status: 'error'; message: string } {
  return { status: 'error', message: UNKNOWN_EXCEPTION_MESSAGE };
}
