/**
 * The copies a send span writes its trace context into: the caller's records and header objects are never
 * changed. They are made for every record a traced call produces, so they take V8's cheap paths: a spread
 * copy that then gets a key its source lacks (the `traceparent` a header object gets, the `headers` a record
 * without any gets) is about ten times as slow as `Object.assign` into a fresh object (about 1 µs against
 * 0.1 µs a copy on this project's 2-core machine). `Object.assign` sets keys, though: an own `__proto__` key
 * would set the copy's prototype rather than copy a header, so an object with one is copied by a spread,
 * which defines every key as a plain property.
 */
import type { OutgoingRecord, RecordHeaders } from '../kafka/kafka-record';

/** A fresh plain copy of `headers` (an empty one when there are none). */
export function copyRecordHeaders(headers: RecordHeaders | undefined): RecordHeaders {
  if (headers === undefined || headers === null) return {};
  return Object.hasOwn(headers, '__proto__') ? { ...headers } : Object.assign({}, headers);
}

/** A copy of `record` with `headers` in place of its own. */
export function withRecordHeaders<R extends OutgoingRecord>(record: R, headers: RecordHeaders): R {
  // Overwriting a key the source has keeps the spread cheap; only a record without headers takes the other path.
  if (Object.hasOwn(record, 'headers')) return { ...record, headers };
  const copy: R = Object.hasOwn(record, '__proto__') ? { ...record } : Object.assign({}, record);
  copy.headers = headers;
  return copy;
}
