/**
 * The trace id a record carries, read straight from its W3C `traceparent` header: no OpenTelemetry SDK
 * (nor API) is needed, so the inspector can name the trace of a stuck record in any process.
 */
// version "-" trace-id "-" parent-id "-" flags; version ff is forbidden, an unknown later version may
// carry more fields after these (W3C Trace Context, "Versioning of traceparent").
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const INVALID_TRACE_ID = '0'.repeat(32);
const INVALID_PARENT_ID = '0'.repeat(16);

/**
 * The 32 hex digit trace id of `headers`' `traceparent` (the first, when repeated), fetched (Buffers) or
 * decoded (strings); undefined when there is none or it is malformed (wrong length, bad hex, version ff,
 * extra fields on version 00, an all-zero trace or parent id).
 */
export function traceIdOf(headers: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!headers || !Object.hasOwn(headers, 'traceparent')) return undefined;
  const raw = headers.traceparent;
  const first = Array.isArray(raw) ? raw[0] : raw;
  const text =
    typeof first === 'string' ? first : Buffer.isBuffer(first) ? first.toString('latin1') : undefined;
  const match = text === undefined ? null : TRACEPARENT.exec(text.trim());
  if (!match) return undefined;
  const [, version, traceId, parentId, , extra] = match;
  if (version === 'ff' || (version === '00' && extra !== undefined)) return undefined;
  return traceId === INVALID_TRACE_ID || parentId === INVALID_PARENT_ID ? undefined : traceId;
}
